import "server-only";
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { log } from "../log";
import { UnauthorizedError } from "../errors";
import { env, type Environment } from "../env";

/**
 * GitHub's secret-scanning partner program signs each report: an ECDSA P-256
 * SHA-256 signature (DER, base64) over the raw body in
 * `Github-Public-Key-Signature`, made with the key named by
 * `Github-Public-Key-Identifier`, one of those GitHub publishes at
 * REKEY_GITHUB_KEYS_URL (default its `/meta/public_keys/secret_scanning`).
 * The list is cached for an hour and fetched again, at most once a minute,
 * when a report names a key not in it (GitHub rotates its keys).
 */
export const DEFAULT_GITHUB_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";
const CACHE_MS = 3_600_000;
const REFRESH_MIN_MS = 60_000;

interface KeyCache {
  url: string;
  fetchedAt: number;
  keys: Map<string, KeyObject>;
}
let cache: KeyCache | null = null;

export function githubKeysUrl(source: Environment = process.env): string {
  return env("REKEY_GITHUB_KEYS_URL", source);
}

/** Forgets the cached keys (tests; a changed REKEY_GITHUB_KEYS_URL is noticed by itself). */
export function clearGithubKeyCache(): void {
  cache = null;
}

async function fetchKeys(url: string): Promise<Map<string, KeyObject>> {
  const response = await fetch(url, { headers: { accept: "application/json", "user-agent": "rekey" }, signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GitHub's public keys: HTTP ${response.status} from ${url}`);
  const body = (await response.json()) as { public_keys?: { key_identifier?: string; key?: string }[] };
  const keys = new Map<string, KeyObject>();
  for (const k of body.public_keys ?? []) {
    if (!k.key_identifier || !k.key) continue;
    try {
      keys.set(k.key_identifier, createPublicKey(k.key));
    } catch (error) {
      log.warn({ keyIdentifier: k.key_identifier, err: String(error) }, "a GitHub secret-scanning public key did not parse");
    }
  }
  return keys;
}

async function publicKey(identifier: string): Promise<KeyObject | undefined> {
  const url = githubKeysUrl();
  const now = Date.now();
  const stale = !cache || cache.url !== url || now - cache.fetchedAt > CACHE_MS;
  const unknownAndMayRefresh = cache && !cache.keys.has(identifier) && now - cache.fetchedAt > REFRESH_MIN_MS;
  if (stale || unknownAndMayRefresh) cache = { url, fetchedAt: now, keys: await fetchKeys(url) };
  return cache!.keys.get(identifier);
}

/** Throws UnauthorizedError unless the raw body carries a valid signature from one of GitHub's published keys. */
export async function verifyGithubSignature(rawBody: string, identifier: string | null, signature: string | null): Promise<void> {
  if (!identifier || !signature) throw new UnauthorizedError("Send the report signed by GitHub: Github-Public-Key-Identifier and Github-Public-Key-Signature.");
  if (identifier.length > 200 || signature.length > 400) throw new UnauthorizedError("The signature headers are not GitHub's.");
  const key = await publicKey(identifier);
  if (!key) throw new UnauthorizedError("Github-Public-Key-Identifier names no key GitHub publishes.");
  let ok = false;
  try {
    ok = verify("sha256", Buffer.from(rawBody, "utf8"), { key, dsaEncoding: "der" }, Buffer.from(signature, "base64"));
  } catch {
    ok = false;
  }
  if (!ok) throw new UnauthorizedError("The signature does not match the body: the report was not signed by GitHub, or was changed.");
}
