import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { UnauthorizedError } from "../errors";
import { env } from "../env";

/** Compares two secrets in constant time (over their digests, so lengths leak nothing). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

/**
 * What an `Authorization: Bearer <token>` header value carries, trimmed; null
 * when the header is absent, empty or of another scheme. The one parser of
 * the header: management and verifier tokens, the cron and metrics secrets,
 * a key presented to verify or to rotate itself (the fast verify path hands
 * it the raw header value).
 */
export function bearerToken(authorization: string | null | undefined): string | null {
  const match = authorization ? /^Bearer\s+(.*)$/is.exec(authorization) : null;
  const token = match?.[1].trim();
  return token ? token : null;
}

/** The token of a request's `Authorization: Bearer <token>` header, or null. */
export function bearer(request: Request): string | null {
  return bearerToken(request.headers.get("authorization"));
}

/**
 * Requires `Authorization: Bearer $<envName>`. Fails closed: with the
 * variable unset, nothing is authorized.
 */
export function requireEnvSecret(request: Request, envName: "CRON_SECRET" | "METRICS_TOKEN"): void {
  const expected = env(envName);
  if (!expected) throw new UnauthorizedError(`${envName} is not set on the server, so this endpoint accepts no one.`);
  const token = bearer(request);
  if (!token || !sameSecret(token, expected)) throw new UnauthorizedError(`Send Authorization: Bearer <${envName}>.`);
}
