import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { rollbackRotation } from "@/lib/rotations/mutations";
import { closeRotationSchema } from "@/lib/rotations/schemas";

export const POST = managementHandler({ body: closeRotationSchema, fromPath: ({ id }) => ({ rotationId: id }) }, async ({ body, actor, now }) =>
  jsonNoStore(await rollbackRotation(body, { actor, now })),
);
