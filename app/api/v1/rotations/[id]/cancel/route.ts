import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { cancelRotation } from "@/lib/rotations/mutations";
import { closeRotationSchema } from "@/lib/rotations/schemas";

export const POST = managementHandler({ body: closeRotationSchema, fromPath: ({ id }) => ({ rotationId: id }) }, async ({ body, actor, now }) =>
  jsonNoStore(await cancelRotation(body, { actor, now })),
);
