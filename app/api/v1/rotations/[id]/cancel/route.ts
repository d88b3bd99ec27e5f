import { managementHandler, readJsonObject, jsonNoStore } from "@/lib/http/api-handler";
import { cancelRotation } from "@/lib/rotations/mutations";

export const POST = managementHandler(async ({ request, params, actor, now }) => {
  const body = await readJsonObject(request);
  return jsonNoStore(await cancelRotation({ reason: body.reason as string | undefined, rotationId: params.id }, actor, now));
});
