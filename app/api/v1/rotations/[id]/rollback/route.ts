import { managementHandler, readJsonObject, jsonNoStore } from "@/lib/http/api-handler";
import { rollbackRotation } from "@/lib/rotations/mutations";

export const POST = managementHandler(async ({ request, params, actor, now }) => {
  const body = await readJsonObject(request);
  return jsonNoStore(await rollbackRotation({ reason: body.reason as string | undefined, rotationId: params.id }, actor, now));
});
