import { bodyLimit, jsonNoStore, managementHandler } from "@/lib/http/api-handler";
import { ValidationError } from "@/lib/errors";
import { reportLeakedKeys, type LeakReport } from "@/lib/leaks/report";

/**
 * Leak reports from any other scanner or process (a management token):
 * `{ "tokens": [{ "token", "url"?, "source"?, "type"? }] }`. Each one of
 * rekey's keys is revoked at once with its family; the answer says, per
 * token (named by its SHA-256), whether it was one of ours and what was done.
 */
export const POST = managementHandler(
  async ({ readJson, actor, now }) => {
    const body = await readJson();
    if (!Array.isArray(body.tokens)) throw new ValidationError("tokens: must be an array of { token, url?, source?, type? }", "tokens");
    return jsonNoStore({ results: await reportLeakedKeys(body.tokens as LeakReport[], "api", actor, now) });
  },
  bodyLimit(1024 * 1024),
);
