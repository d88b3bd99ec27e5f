import "server-only";
import { getPrisma, inTransaction, Prisma, type Db, type Tx } from "../db";
import { EFFECTIVE_POLICY_SQL } from "../policies/sql";
import { enqueueNotifications } from "../notifications/outbox";
import { appUrl } from "../app-url";
import { raiseAlerts, resolveAlertsByIds, type AlertInput } from "./raise";
import { countByHashVersion, recordCurrentHashVersion } from "../keys/hash-versions";
import { getHashingSecrets, hashVersionLingerDays } from "../secret";

const HOUR_MS = 3_600_000;
/** A spike needs at least this many failed verifications in the hour, so a quiet hour's noise is no alarm. */
export const SPIKE_MIN_FAILURES = 50;
/** …and more than this many times the previous hour's failures. */
export const SPIKE_FACTOR = 3;
const FAILED_RESULTS = ["malformed", "unknown", "revoked", "expired"];
const LIMIT = 10_000;

/** Every active or expiring key past its policy's max age gets one alert. */
export async function raisePastMaxAgeAlerts(now: Date): Promise<number> {
  return inTransaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; prefix: string; organizationId: string; organization: string; maxAgeDays: number }[]>`
      WITH ep AS ${Prisma.raw(EFFECTIVE_POLICY_SQL)}
      SELECT k.id, k.prefix, k."organizationId", o.name AS organization, ep."maxAgeDays"
      FROM api_keys k JOIN ep ON ep."organizationId" = k."organizationId" JOIN organizations o ON o.id = k."organizationId"
      WHERE k.status IN ('active', 'expiring')
        AND k."createdAt" < ${now}::timestamptz - make_interval(days => (SELECT min("maxAgeDays") FROM ep))
        AND k."createdAt" + make_interval(days => ep."maxAgeDays") < ${now}
        AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a."dedupeKey" = 'key_past_max_age:' || k.id)
      ORDER BY k."createdAt"
      LIMIT ${LIMIT}`;
    return raiseAlerts(
      tx,
      rows.map((k) => ({
        kind: "key_past_max_age" as const,
        severity: "warning" as const,
        organizationId: k.organizationId,
        keyId: k.id,
        keyFingerprint: k.prefix,
        message: `Key ${k.prefix}… of ${k.organization} is older than its policy's max age of ${k.maxAgeDays} days.`,
        dedupeKey: `key_past_max_age:${k.id}`,
      })),
      now,
    );
  });
}

/**
 * An old hashing secret version that still holds keys in use (or tokens)
 * REKEY_SECRET_LINGER_DAYS after the current version became current: one
 * alert per version, resolved when nothing in use is left on it. Records
 * the current version first (when it became current is what this counts from).
 */
export async function raiseLingeringHashVersionAlerts(now: Date): Promise<number> {
  await recordCurrentHashVersion(now);
  const { current } = getHashingSecrets();
  const days = hashVersionLingerDays();
  return inTransaction(async (tx) => {
    const since = (await tx.hashVersion.findUnique({ where: { version: current } }))?.currentSince;
    if (!since || now.getTime() - since.getTime() < days * 86_400_000) return 0;
    const lingering = (await countByHashVersion(tx)).filter((c) => c.version !== current && (c.keysInUse > 0 || c.tokensInUse > 0));
    return raiseAlerts(
      tx,
      lingering.map((c) => ({
        kind: "old_hash_version" as const,
        severity: "warning" as const,
        message: `Hashing secret version ${c.version} still holds ${c.keysInUse} key(s) in use and ${c.tokensInUse} management token(s), more than ${days} days after version ${current} became current. Keys move to version ${current} at their next successful verification, so these are not being used: rotate them (or accept that removing version ${c.version} refuses them), then remove version ${c.version} from the configuration.`,
        dedupeKey: `old_hash_version:${c.version}`,
      })),
      now,
    );
  });
}

/**
 * A revoked or expired key that was tried in the last hour: something still
 * holds it (a forgotten client, or whoever leaked it). `keyIds` narrows the
 * check to the keys a verification batch just refused.
 */
export async function findRevokedKeyTries(db: Db | Tx, now: Date, keyIds?: string[]): Promise<AlertInput[]> {
  const since = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS - HOUR_MS);
  const rows = await db.$queryRaw<{ id: string; prefix: string; organizationId: string; organization: string; status: string; tries: number }[]>`
    SELECT k.id, k.prefix, k."organizationId", o.name AS organization, k.status::text AS status, sum(u.rejected)::int AS tries
    FROM key_usage_hourly u JOIN api_keys k ON k.id = u."keyId" JOIN organizations o ON o.id = k."organizationId"
    WHERE u.hour >= ${since} AND u.rejected > 0 AND k.status IN ('revoked', 'expired')
      ${keyIds ? Prisma.sql`AND u."keyId" = ANY(${keyIds}::text[])` : Prisma.empty}
      AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a."dedupeKey" = 'revoked_key_used:' || k.id)
    GROUP BY k.id, k.prefix, k."organizationId", o.name, k.status
    LIMIT ${LIMIT}`;
  return rows.map((k) => ({
    kind: "revoked_key_used" as const,
    severity: "critical" as const,
    organizationId: k.organizationId,
    keyId: k.id,
    keyFingerprint: k.prefix,
    message: `${k.status === "revoked" ? "Revoked" : "Expired"} key ${k.prefix}… of ${k.organization} was tried ${k.tries} time(s) in the last hour.`,
    dedupeKey: `revoked_key_used:${k.id}`,
  }));
}

/** Failed verifications this hour above SPIKE_FACTOR × the previous hour's (and at least SPIKE_MIN_FAILURES): one alert per hour. */
export async function findVerificationSpike(db: Db | Tx, now: Date): Promise<AlertInput[]> {
  const hour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
  const previous = new Date(hour.getTime() - HOUR_MS);
  const [counts] = await db.$queryRaw<{ current: number; baseline: number }[]>`
    SELECT COALESCE(sum(count) FILTER (WHERE hour = ${hour}), 0)::int AS current,
           COALESCE(sum(count) FILTER (WHERE hour = ${previous}), 0)::int AS baseline
    FROM verification_counts WHERE hour IN (${hour}, ${previous}) AND result = ANY(${FAILED_RESULTS}::text[])`;
  if (counts.current < SPIKE_MIN_FAILURES || counts.current <= SPIKE_FACTOR * counts.baseline) return [];
  const dedupeKey = `verification_spike:${hour.toISOString()}`;
  if (await db.alert.findUnique({ where: { dedupeKey }, select: { id: true } })) return [];
  return [
    {
      kind: "verification_spike",
      severity: "critical",
      message: `${counts.current} failed verifications since ${hour.toISOString()}, against ${counts.baseline} in the hour before: someone may be probing for keys.`,
      dedupeKey,
    },
  ];
}

/**
 * The verification alerts (revoked key tried, spike of failures), found
 * outside a transaction and raised in one only when there is something to
 * raise: the verifier calls this after each batch of counts with refusals.
 */
export async function raiseVerificationAlerts(now: Date, keyIds?: string[]): Promise<number> {
  const prisma = await getPrisma();
  const found = [...(await findRevokedKeyTries(prisma, now, keyIds)), ...(await findVerificationSpike(prisma, now))];
  if (found.length === 0) return 0;
  return inTransaction((tx) => raiseAlerts(tx, found, now));
}

/** Alerts whose condition has gone: the key is revoked, the rotation is no longer in grace, the agent delivered after all. */
export async function resolveClearedAlerts(now: Date): Promise<number> {
  return inTransaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT a.id FROM alerts a
      LEFT JOIN api_keys k ON k.id = a."keyId"
      LEFT JOIN rotations r ON r.id = a."rotationId"
      WHERE a.status <> 'resolved' AND (
        (a.kind = 'key_past_max_age' AND k.status IN ('revoked', 'expired'))
        OR (a.kind IN ('old_key_in_use', 'deadline_extended') AND r.state <> 'grace')
        -- the agent delivered after all, or the rotation is over
        OR (a.kind = 'agent_delivery_failed' AND (r.state <> 'grace' OR EXISTS (
              SELECT 1 FROM agent_reports ar WHERE ar."rotationId" = a."rotationId" AND ar.outcome = 'delivered' AND ar."reportedAt" >= a."createdAt")))
        OR (a.kind = 'old_hash_version'
            AND NOT EXISTS (SELECT 1 FROM api_keys o WHERE o."hashVersion"::text = split_part(a."dedupeKey", ':', 2) AND o.status IN ('active', 'expiring'))
            AND NOT EXISTS (SELECT 1 FROM management_tokens t WHERE t."hashVersion"::text = split_part(a."dedupeKey", ':', 2) AND t."revokedAt" IS NULL))
      )
      LIMIT ${LIMIT}`;
    return resolveAlertsByIds(
      tx,
      rows.map((r) => r.id),
      now,
      "condition cleared",
    );
  });
}

/** Emails every active admin one digest of the alerts raised since the last digest. */
export async function sendAlertDigest(now: Date): Promise<number> {
  return inTransaction(async (tx) => {
    const alerts = await tx.$queryRaw<{ id: string; kind: string; severity: string; message: string; keyId: string | null }[]>`
      WITH fresh AS (
        SELECT id FROM alerts WHERE "digestedAt" IS NULL ORDER BY "createdAt" LIMIT ${LIMIT} FOR UPDATE SKIP LOCKED
      )
      UPDATE alerts a SET "digestedAt" = ${now} FROM fresh WHERE a.id = fresh.id
      RETURNING a.id, a.kind, a.severity, a.message, a."keyId"`;
    if (alerts.length === 0) return 0;
    const admins = await tx.user.findMany({ where: { role: "admin", disabledAt: null }, select: { email: true } });
    if (admins.length === 0) return 0;
    const order = { critical: 0, warning: 1, info: 2 } as Record<string, number>;
    const shown = [...alerts].sort((a, b) => (order[a.severity] ?? 3) - (order[b.severity] ?? 3)).slice(0, 50);
    const base = appUrl();
    const list = shown.map((a) => ({
      kind: a.kind,
      severity: a.severity,
      message: a.message,
      url: a.keyId ? `${base}/dashboard/keys/${a.keyId}` : `${base}/dashboard/alerts`,
    }));
    if (alerts.length > shown.length)
      list.push({ kind: "more", severity: "info", message: `…and ${alerts.length - shown.length} more`, url: `${base}/dashboard/alerts` });
    await enqueueNotifications(
      tx,
      [
        {
          kind: "alert_digest",
          organizationId: null,
          recipients: admins.map((a) => a.email),
          eventRef: `digest:${now.toISOString()}:${alerts[0].id}`,
          payload: { count: alerts.length, alerts: list },
        },
      ],
      now,
    );
    return alerts.length;
  });
}
