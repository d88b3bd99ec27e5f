import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import type { IssueKeyInput } from "@/lib/keys/schemas";
import { issueKey } from "@/lib/keys/mutations";

/** Issues a key. The full key is in this one response only. */
export const POST = managementHandler(async ({ readJson, actor, now }) => {
  const { key, secret } = await issueKey((await readJson()) as IssueKeyInput, actor, now);
  return jsonNoStore({ ...key, key: secret }, 201);
});
