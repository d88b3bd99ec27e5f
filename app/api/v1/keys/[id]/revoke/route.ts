import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { revokeKey } from "@/lib/keys/mutations";

/** Revokes a key at once, with every key minted from it since (its family), as an emergency supersedes them. */
export const POST = managementHandler(async ({ readJson, params, actor, now }) => {
  const body = await readJson();
  return jsonNoStore(await revokeKey({ keyId: params.id, reason: body.reason as string }, actor, now, {}, { family: true }));
});
