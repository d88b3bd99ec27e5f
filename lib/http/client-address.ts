import { env } from "../env";
// No "server-only": proxy.ts reads the same setting (for HSTS behind a proxy).

/**
 * `REKEY_TRUST_PROXY`: how many proxies in front of rekey append to
 * `X-Forwarded-For` and are trusted to (Express's numeric "trust proxy").
 * 0, the default: none; the address is the connection's own and any
 * `X-Forwarded-For` a client sends is ignored.
 */
export function trustedProxyHops(value?: string): number {
  return value === undefined ? env("REKEY_TRUST_PROXY") : env("REKEY_TRUST_PROXY", { REKEY_TRUST_PROXY: value });
}

/**
 * The caller's address, for per-address limits. Reads `X-Forwarded-For` as
 * the chain of addresses, the connection's own last: `npm start`
 * (scripts/serve.ts) appends the socket's address to it as a proxy would,
 * and `next start` sets it to that address when the client sent none. Each
 * trusted proxy appended the address it saw, so with `hops` trusted proxies
 * the caller is the entry `hops` places left of the last; anything further
 * left was written by the caller and is ignored. A chain shorter than the
 * hops gives its first entry. "unknown" when there is no chain at all
 * (a runtime that says nothing about the connection): those callers share
 * one limit rather than escape it.
 */
export function clientAddress(request: { headers: Headers }, hops = trustedProxyHops()): string {
  const chain = request.headers.get("x-forwarded-for");
  if (!chain) return "unknown";
  const entries = chain
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!entries.length) return "unknown";
  return entries[Math.max(0, entries.length - 1 - hops)].toLowerCase();
}
