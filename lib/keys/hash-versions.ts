import "server-only";
import { getPrisma, inTransaction, type Db, type Tx } from "../db";
import { getHashingSecrets } from "../secret";
import { appendAuditEvent } from "../audit/write";
import { SYSTEM_CRON } from "../auth/actor";

/**
 * How far the keys and tokens have moved between hashing secret versions
 * (lib/secret.ts), for the Secrets page, /api/metrics and the cron's alert.
 * "In use" is what a version's retirement would refuse: active and expiring
 * keys, and tokens not revoked. Revoked and expired keys are refused anyway.
 */
export interface HashVersionCount {
  version: number;
  keysInUse: number;
  /** Every key stored under it, whatever its status. */
  keys: number;
  tokensInUse: number;
}

/**
 * Per version that any key or token is stored under: how many, in use and in
 * all. Imported keys still on their legacy hash (version 0) are not on any
 * hashing secret: no secret's retirement refuses them.
 */
export async function countByHashVersion(db?: Db | Tx): Promise<HashVersionCount[]> {
  const client = db ?? (await getPrisma());
  const rows = await client.$queryRaw<HashVersionCount[]>`
    WITH k AS (
      SELECT "hashVersion" AS version, count(*) FILTER (WHERE status IN ('active', 'expiring'))::int AS "keysInUse", count(*)::int AS keys
      FROM api_keys WHERE "hashVersion" > 0 GROUP BY "hashVersion"
    ), t AS (
      SELECT "hashVersion" AS version, count(*) FILTER (WHERE "revokedAt" IS NULL)::int AS "tokensInUse"
      FROM management_tokens GROUP BY "hashVersion"
    )
    SELECT COALESCE(k.version, t.version) AS version, COALESCE(k."keysInUse", 0) AS "keysInUse", COALESCE(k.keys, 0) AS keys,
           COALESCE(t."tokensInUse", 0) AS "tokensInUse"
    FROM k FULL JOIN t ON t.version = k.version
    ORDER BY 1 DESC`;
  return rows;
}

export interface HashVersionRow extends HashVersionCount {
  configured: boolean;
  current: boolean;
  /** When it first became the current version (the first cron call that saw it), or null. */
  currentSince: Date | null;
  /** Nothing in use is stored under it: it may be removed from the configuration. */
  retirable: boolean;
}

/** Every configured version and every version something is stored under, newest first: the Secrets page. */
export async function hashVersionOverview(): Promise<{ current: number; rows: HashVersionRow[] }> {
  const prisma = await getPrisma();
  const { current, secrets } = getHashingSecrets();
  const [counts, recorded] = await Promise.all([countByHashVersion(prisma), prisma.hashVersion.findMany()]);
  const versions = [...new Set([...secrets.map((s) => s.version), ...counts.map((c) => c.version)])].sort((a, b) => b - a);
  const configured = new Set(secrets.map((s) => s.version));
  return {
    current,
    rows: versions.map((version) => {
      const c = counts.find((x) => x.version === version) ?? { version, keysInUse: 0, keys: 0, tokensInUse: 0 };
      return {
        ...c,
        configured: configured.has(version),
        current: version === current,
        currentSince: recorded.find((r) => r.version === version)?.currentSince ?? null,
        retirable: version !== current && c.keysInUse === 0 && c.tokensInUse === 0,
      };
    }),
  };
}

/**
 * Records when the configured current version first became current, once
 * per version, with an audit event in the same transaction (the lingering
 * alert counts from it). Idempotent; the cron calls it each time. Returns
 * whether this call recorded it.
 */
export async function recordCurrentHashVersion(now: Date): Promise<boolean> {
  const { current } = getHashingSecrets();
  return inTransaction(async (tx) => {
    const inserted = await tx.$executeRaw`INSERT INTO hash_versions (version, "currentSince") VALUES (${current}, ${now}) ON CONFLICT (version) DO NOTHING`;
    if (inserted === 0) return false;
    const previous = await tx.hashVersion.findFirst({ where: { version: { not: current } }, orderBy: { currentSince: "desc" }, select: { version: true } });
    await appendAuditEvent(
      tx,
      {
        actor: SYSTEM_CRON,
        action: "hashing_secret.activated",
        reason: "the configured current hashing secret version changed",
        before: previous ? { version: previous.version } : null,
        after: { version: current },
      },
      now,
    );
    return true;
  });
}
