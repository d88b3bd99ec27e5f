import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { rollbackRotation } from "@/lib/rotations/mutations";

export const POST = managementHandler(async ({ readJson, params, actor, now }) => {
  const body = await readJson();
  return jsonNoStore(await rollbackRotation({ reason: body.reason as string | undefined, rotationId: params.id }, actor, now));
});
