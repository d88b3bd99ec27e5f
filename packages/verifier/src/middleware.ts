/**
 * Middleware for node:http and Express-style handlers: takes the key from
 * `Authorization: Bearer` (or `X-API-Key`), verifies it in process, and
 * either answers 401 (refused) or 503 (the replica is past its window), or
 * passes the request on with the answer at `req.rekey`. An old key in grace
 * passes, and the client is told so the way rekey's own endpoint tells it:
 * RFC 9745 `Deprecation` and RFC 8594 `Sunset` headers.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Replica, ReplicaResult } from "./replica.js";

export type VerifiedRequest = IncomingMessage & { rekey?: Extract<ReplicaResult, { valid: true }> };

export interface RequireKeyOptions {
  /** Scopes the key must all carry (403 otherwise). */
  scopes?: string[];
}

/** The key a request presents, or null. */
export function presentedKey(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, "").trim() || null;
  const header = req.headers["x-api-key"];
  return typeof header === "string" && header ? header.trim() : null;
}

function refuse(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

/** `(req, res, next)`: usable with Express, Connect, or a plain node:http handler that calls it first. */
export function requireKey(replica: Replica, options: RequireKeyOptions = {}) {
  return (req: VerifiedRequest, res: ServerResponse, next: (error?: unknown) => void): void => {
    const key = presentedKey(req);
    if (!key) return refuse(res, 401, "missing_key", "Send your API key as Authorization: Bearer <key>.", { "www-authenticate": "Bearer" });
    const result = replica.verify(key);
    if (!result.valid) {
      if (result.code === "unavailable") return refuse(res, 503, "unavailable", "Keys cannot be checked right now; try again shortly.", { "retry-after": "5" });
      return refuse(
        res,
        401,
        result.code,
        result.code === "revoked" ? "This API key has been revoked." : result.code === "expired" ? "This API key has expired." : "This is not a valid API key.",
        {
          "www-authenticate": 'Bearer error="invalid_token"',
        },
      );
    }
    if (options.scopes?.some((s) => !result.scopes.includes(s)))
      return refuse(res, 403, "insufficient_scope", `This key lacks a scope this request needs: ${options.scopes.join(", ")}.`);
    if (result.deprecated && result.deprecatedAt && result.graceEndsAt) {
      res.setHeader("deprecation", `@${Math.floor(Date.parse(result.deprecatedAt) / 1000)}`);
      res.setHeader("sunset", new Date(result.graceEndsAt).toUTCString());
    }
    req.rekey = result;
    next();
  };
}
