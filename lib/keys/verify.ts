import "server-only";
import { getDatabase, onCommit } from "../db";
import { parseSecret } from "./format";
import { hashSecret } from "./hash";
import { recordVerification } from "./usage";

export type InvalidCode = "malformed" | "unknown" | "revoked" | "expired";

export type VerifyResult =
  | {
      valid: true;
      keyId: string;
      organizationId: string;
      environment: "live" | "test";
      scopes: string[];
      rateLimit: number;
      deprecated: boolean;
      /** Only for an old key in grace: when its rotation started, when it stops working, and its successor's prefix (null until minted). */
      deprecatedAt?: string;
      graceEndsAt?: string;
      successorPrefix?: string | null;
    }
  | { valid: false; code: InvalidCode };

interface KeyRecord {
  id: string;
  organizationId: string;
  environment: "live" | "test";
  scopes: string[];
  rateLimit: number;
  status: "active" | "expiring" | "revoked" | "expired";
  expiresAt: Date | null;
  deprecatedAt: Date | null;
  graceEndsAt: Date | null;
  successorPrefix: string | null;
}

/**
 * Verification answers are cached in process by keyed hash (null = no such
 * key). Every change to a key is announced by a database trigger on the
 * `rekey_key_changed` channel and drops the entry on every instance at once;
 * the TTL only bounds the damage of a lost connection before it is noticed.
 */
const TTL_MS = 60_000;
const MAX_ENTRIES = 200_000;
const cache = new Map<string, { record: KeyRecord | null; at: number }>();
let generation = 0;
let subscribed: Promise<unknown> | undefined;

function subscribe() {
  subscribed ??= getDatabase().then((db) =>
    db.listen(
      "rekey_key_changed",
      (hash) => {
        generation++;
        cache.delete(hash);
      },
      () => {
        generation++;
        cache.clear();
      },
    ),
  );
  return subscribed;
}

async function lookup(hash: string): Promise<KeyRecord | null> {
  const db = await getDatabase();
  const rows = await db.prisma.$queryRaw<KeyRecord[]>`
    SELECT k.id, k."organizationId", k.environment::text AS environment, k.scopes, k."rateLimit",
           k.status::text AS status, k."expiresAt", r."startedAt" AS "deprecatedAt", r."graceEndsAt", s.prefix AS "successorPrefix"
    FROM api_keys k
    LEFT JOIN rotations r ON r."openKeyId" = k.id AND r.state = 'grace'
    LEFT JOIN api_keys s ON s.id = r."successorId"
    WHERE k.hash = ${hash}`;
  return rows[0] ?? null;
}

async function getRecord(hash: string, now: number): Promise<KeyRecord | null> {
  await subscribe();
  const hit = cache.get(hash);
  if (hit && now - hit.at < TTL_MS) return hit.record;
  const before = generation;
  const record = await lookup(hash);
  // A change announced while we read may not be in what we read: do not keep it.
  if (generation === before) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(hash, { record, at: now });
  }
  return record;
}

/**
 * Answers whether a presented key is valid at `now`: a malformed one (bad
 * shape or checksum) is refused before any database work; an old key in
 * grace is valid but deprecated, with its deadline and successor's prefix.
 */
export async function verifyKey(presented: string, now: Date): Promise<VerifyResult> {
  const parsed = parseSecret(presented);
  if (!parsed || parsed.kind !== "rk") {
    recordVerification(null, "malformed", false, now);
    return { valid: false, code: "malformed" };
  }
  const record = await getRecord(hashSecret(presented), now.getTime());
  if (!record) {
    recordVerification(null, "unknown", false, now);
    return { valid: false, code: "unknown" };
  }
  if (record.status === "revoked") {
    recordVerification(record.id, "revoked", false, now);
    return { valid: false, code: "revoked" };
  }
  if (record.status === "expired" || (record.expiresAt && record.expiresAt <= now)) {
    recordVerification(record.id, "expired", false, now);
    return { valid: false, code: "expired" };
  }
  const base = {
    valid: true as const,
    keyId: record.id,
    organizationId: record.organizationId,
    environment: record.environment,
    scopes: record.scopes,
    rateLimit: record.rateLimit,
  };
  if (record.status === "expiring" && record.graceEndsAt) {
    recordVerification(record.id, "deprecated", true, now);
    return { ...base, deprecated: true, deprecatedAt: (record.deprecatedAt ?? record.graceEndsAt).toISOString(), graceEndsAt: record.graceEndsAt.toISOString(), successorPrefix: record.successorPrefix };
  }
  recordVerification(record.id, "valid", true, now);
  return { ...base, deprecated: false };
}

/** Forgets every cached answer. */
export function clearVerifyCache(): void {
  generation++;
  cache.clear();
}

// This process's own writes are visible to its next verification at once,
// without waiting for its NOTIFY to come back. Writes are rare next to
// verifications, so dropping the whole cache costs little.
onCommit(clearVerifyCache);
