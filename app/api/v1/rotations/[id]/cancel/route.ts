import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { cancelRotation } from "@/lib/rotations/mutations";

export const POST = managementHandler(async ({ readJson, params, actor, now }) => {
  const body = await readJson();
  return jsonNoStore(await cancelRotation({ reason: body.reason as string | undefined, rotationId: params.id }, actor, now));
});
