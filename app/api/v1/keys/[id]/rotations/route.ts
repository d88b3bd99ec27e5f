import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { rotationRequestSchema } from "@/lib/rotations/schemas";
import { createRotation } from "@/lib/rotations/mutations";
import { listKeyRotations } from "@/lib/keys/queries";

/** Every rotation of the key, newest first. */
export const GET = managementHandler(async ({ params }) => jsonNoStore({ rotations: await listKeyRotations(params.id) }));

/** Schedules or starts a rotation; with `deliver: "response"` the successor key is in this one response only. */
export const POST = managementHandler({ body: rotationRequestSchema, fromPath: ({ id }) => ({ keyId: id }) }, async ({ body, actor, now }) => {
  const { rotation, successorSecret } = await createRotation(body, { actor, now });
  return jsonNoStore({ ...rotation, ...(successorSecret ? { successorKey: successorSecret } : {}) }, 201);
});
