import "server-only";
import { UnauthorizedError, ValidationError } from "../errors";
import { bearerToken, sameSecret } from "./bearer";
import type { VerifyResult } from "../keys/verify";
import type { BodyLimit } from "./api-handler";
import { env } from "../env";

/** The largest verify request body read: a key is ~60 bytes; anything near this is not a verification. */
export const VERIFY_BODY_LIMIT = 8 * 1024;

/**
 * Whether the key comes in the Authorization header (so there is no body to
 * read): only when REKEY_VERIFY_TOKEN is unset, since with it set that header
 * carries the caller's token.
 */
export function keyInHeader(authorization: string | null | undefined): boolean {
  return !env("REKEY_VERIFY_TOKEN") && bearerToken(authorization) !== null;
}

/**
 * The key of a verify request. Open (REKEY_VERIFY_TOKEN unset): as
 * `Authorization: Bearer`, else the body's `key`. Closed (set): only the
 * company's servers may ask, with `Authorization: Bearer $REKEY_VERIFY_TOKEN`,
 * and the key comes in the body (compared in constant time; 401 otherwise, so
 * nobody else can test stolen or guessed keys against rekey).
 */
export function presentedKey(authorization: string | null | undefined, body: () => string): string {
  const token = env("REKEY_VERIFY_TOKEN");
  const sent = bearerToken(authorization);
  if (token) {
    if (!sent || !sameSecret(sent, token))
      throw new UnauthorizedError('This rekey requires a verify token: send Authorization: Bearer <REKEY_VERIFY_TOKEN> and the key as { "key": "rk_…" }.');
  } else if (sent) return sent;
  let parsed: unknown;
  try {
    const text = body();
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new ValidationError("The request body must be JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ValidationError("The request body must be a JSON object.");
  const key = (parsed as Record<string, unknown>).key;
  if (typeof key !== "string" || !key) throw new ValidationError('key: send the key as { "key": "rk_…" } or Authorization: Bearer', "key");
  return key;
}

/**
 * For an old key in grace, the RFC 9745 `Deprecation` and RFC 8594 `Sunset`
 * header values, which the company's API can pass on to its client; else null.
 */
export function deprecationHeaders(result: VerifyResult): { deprecation: string; sunset: string } | null {
  if (!result.valid || !result.deprecated || !result.graceEndsAt || !result.deprecatedAt) return null;
  return { deprecation: `@${Math.floor(new Date(result.deprecatedAt).getTime() / 1000)}`, sunset: new Date(result.graceEndsAt).toUTCString() };
}

/** The headers of a verify answer: JSON, never cached, and the deprecation headers when they apply. */
export function verifyHeaders(result: VerifyResult): Record<string, string> {
  return { "content-type": "application/json", "cache-control": "no-store", ...deprecationHeaders(result) };
}

export const TOO_LARGE_MESSAGE = `A verify request body is at most ${VERIFY_BODY_LIMIT} bytes: send { "key": "rk_…" }.`;

/** The verify route's body limit, the same as the fast path's (lib/http/fast-verify.ts). */
export const VERIFY_BODY: BodyLimit = { bytes: VERIFY_BODY_LIMIT, message: TOO_LARGE_MESSAGE };
