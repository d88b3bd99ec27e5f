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

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(request: Request): string | null {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : null;
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
