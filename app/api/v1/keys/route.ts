import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { issueKeySchema } from "@/lib/keys/schemas";
import { issueKey } from "@/lib/keys/mutations";
import { searchKeys } from "@/lib/keys/queries";

/** Lists and searches keys, a page at a time (`nextCursor`); never a key or its hash. */
export const GET = managementHandler(async ({ request }) => jsonNoStore(await searchKeys(Object.fromEntries(new URL(request.url).searchParams))));

/** Issues a key. The full key is in this one response only. */
export const POST = managementHandler({ body: issueKeySchema }, async ({ body, actor, now }) => {
  const { key, secret } = await issueKey(body, { actor, now });
  return jsonNoStore({ ...key, key: secret }, 201);
});
