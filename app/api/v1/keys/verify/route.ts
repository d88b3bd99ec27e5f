import { publicHandler, readJsonObject, jsonNoStore } from "@/lib/http/api-handler";
import { verifyKey } from "@/lib/keys/verify";
import { ValidationError } from "@/lib/errors";

/**
 * For the API company's servers: is this key valid? The key comes in the body
 * (`{ "key": "rk_…" }`) or as `Authorization: Bearer`. An old key in grace is
 * valid but deprecated, with RFC 9745 `Deprecation` and RFC 8594 `Sunset`
 * headers the company's API can pass on to its client.
 */
export const POST = publicHandler(async ({ request, now }) => {
  const header = request.headers.get("authorization");
  let presented = header && /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, "").trim() : undefined;
  if (!presented) {
    const body = await readJsonObject(request);
    if (typeof body.key !== "string" || !body.key) throw new ValidationError('key: send the key as { "key": "rk_…" } or Authorization: Bearer', "key");
    presented = body.key;
  }
  const result = await verifyKey(presented, now);
  const headers: Record<string, string> = {};
  if (result.valid && result.deprecated && result.graceEndsAt && result.deprecatedAt) {
    headers["deprecation"] = `@${Math.floor(new Date(result.deprecatedAt).getTime() / 1000)}`;
    headers["sunset"] = new Date(result.graceEndsAt).toUTCString();
  }
  return jsonNoStore(result, 200, headers);
});
