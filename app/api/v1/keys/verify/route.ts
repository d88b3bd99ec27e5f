import { publicHandler } from "@/lib/http/api-handler";
import { keyInHeader, presentedKey, verifyHeaders, VERIFY_BODY } from "@/lib/http/verify-endpoint";
import { verifyKey } from "@/lib/keys/verify";

/**
 * For the API company's servers: is this key valid? The key comes in the body
 * (`{ "key": "rk_…" }`) or as `Authorization: Bearer`. An old key in grace is
 * valid but deprecated, with Deprecation and Sunset headers.
 *
 * Under `npm start` this path is answered before Next's routing by the same
 * code (lib/http/fast-verify.ts); this handler serves it where there is no
 * custom server (`next start`, Vercel). docs/verifier-protocol.md
 */
export const POST = publicHandler(async ({ request, now, readText }) => {
  const authorization = request.headers.get("authorization");
  const body = keyInHeader(authorization) ? "" : await readText();
  const result = await verifyKey(
    presentedKey(authorization, () => body),
    now,
  );
  return new Response(JSON.stringify(result), { status: 200, headers: verifyHeaders(result) });
}, VERIFY_BODY);
