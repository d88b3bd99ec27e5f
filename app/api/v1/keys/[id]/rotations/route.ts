import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import type { RotationRequest } from "@/lib/rotations/schemas";
import { createRotation } from "@/lib/rotations/mutations";
import { listKeyRotations } from "@/lib/keys/queries";

/** Every rotation of the key, newest first. */
export const GET = managementHandler(async ({ params }) => jsonNoStore({ rotations: await listKeyRotations(params.id) }));

/** Schedules or starts a rotation; with `deliver: "response"` the successor key is in this one response only. */
export const POST = managementHandler(async ({ readJson, params, actor, now }) => {
  const body = await readJson();
  const { rotation, successorSecret } = await createRotation({ ...body, keyId: params.id } as RotationRequest, actor, now);
  return jsonNoStore({ ...rotation, ...(successorSecret ? { successorKey: successorSecret } : {}) }, 201);
});
