import { bodyLimit, jsonNoStore, managementHandler } from "@/lib/http/api-handler";
import { leakRequestSchema, reportLeakedKeys } from "@/lib/leaks/report";

/**
 * Leak reports from any other scanner or process (a management token):
 * `{ "tokens": [{ "token", "url"?, "source"?, "type"? }] }`. Each one of
 * rekey's keys is revoked at once with its family; the answer says, per
 * token (named by its SHA-256), whether it was one of ours and what was done.
 */
export const POST = managementHandler({ body: leakRequestSchema, limit: bodyLimit(1024 * 1024) }, async ({ body, actor, now }) =>
  jsonNoStore({ results: await reportLeakedKeys(body.tokens, "api", { actor, now }) }),
);
