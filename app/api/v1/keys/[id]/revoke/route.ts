import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { revokeKey } from "@/lib/keys/mutations";
import { revokeKeySchema } from "@/lib/keys/schemas";

/** Revokes a key at once, with every key minted from it since (its family), as an emergency supersedes them. */
export const POST = managementHandler({ body: revokeKeySchema, fromPath: ({ id }) => ({ keyId: id }) }, async ({ body, actor, now }) =>
  jsonNoStore(await revokeKey(body, { actor, now }, { family: true })),
);
