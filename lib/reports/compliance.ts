import "server-only";
import { getPrisma } from "../db";
import { effectivePolicyAtSql } from "../policies/sql";
import { policyBoundsExceeded } from "../policies/schemas";
import type { ReportScope } from "./period";

/*
 * The compliance report's figures and rows (docs/reports.md defines each one).
 * Every query takes the same four parameters: $1 from, $2 to (exclusive),
 * $3 organization or null, $4 environment or null; the SQL fragments below are
 * shared by the summary's counts and the streamed rows, so a figure and the rows
 * it counts cannot disagree.
 */

/** When a key stopped working: revoked or expired, else never. */
const RETIRED = `LEAST(COALESCE(k."revokedAt", 'infinity'::timestamptz), COALESCE(k."expiresAt", 'infinity'::timestamptz))`;
/** Its age at the end of the period, or when it stopped working if that came first. */
const AGE_AT_END = `(LEAST(${RETIRED}, $2::timestamptz) - k."createdAt")`;
/** DOMAIN.md: compliant while its age is within its policy's max age. */
const COMPLIANT = `(${AGE_AT_END} < make_interval(days => ep."maxAgeDays"))`;
/** The keys in scope: existed during the period and match the organization and environment. */
const KEY_SCOPE = `k."createdAt" < $2::timestamptz AND ${RETIRED} >= $1::timestamptz
  AND ($3::text IS NULL OR k."organizationId" = $3::text) AND ($4::text IS NULL OR k.environment::text = $4::text)`;
/** A rotation that was scheduled or running at some moment of the period. */
const ROTATION_IN_PERIOD = `COALESCE(r."startedAt", r."scheduledAt") < $2::timestamptz
  AND COALESCE(r."completedAt", r."cancelledAt", r."rolledBackAt", r."failedAt", 'infinity'::timestamptz) >= $1::timestamptz`;
/**
 * A rotation's state at the end of the period ($2), from its timestamps, not
 * its state now: a report is about the period, and over a period that has not
 * ended (cut at its asOf instant) the same link must give the same file later.
 */
const stateAtEnd = (r: string) => `(CASE WHEN ${r}."completedAt" < $2::timestamptz THEN 'completed'
    WHEN ${r}."cancelledAt" < $2::timestamptz THEN 'cancelled' WHEN ${r}."rolledBackAt" < $2::timestamptz THEN 'rolled_back'
    WHEN ${r}."failedAt" < $2::timestamptz THEN 'failed' WHEN ${r}."startedAt" < $2::timestamptz THEN 'grace' ELSE 'scheduled' END)`;
/** Why a rotation in the period counts as overdue, or null. */
const ROTATION_OVERDUE = `CASE
    WHEN ${stateAtEnd("r")} = 'failed' AND r."failedAt" >= $1::timestamptz AND r."failedAt" < $2::timestamptz
      THEN 'rotation failed: ' || COALESCE(r."failureReason", 'no reason recorded')
    WHEN r."deadlineExtended" AND COALESCE(r."completedAt", r."graceEndsAt") >= $1::timestamptz AND COALESCE(r."completedAt", r."graceEndsAt") < $2::timestamptz
      THEN 'deadline extended once: the new key had not been used'
    WHEN ${stateAtEnd("r")} = 'grace' AND r."graceEndsAt" >= $1::timestamptz AND r."graceEndsAt" < $2::timestamptz
      THEN 'deadline passed, not completed by the end of the period'
    WHEN r."completedAt" >= $1::timestamptz AND r."completedAt" < $2::timestamptz
         AND r."completedAt" > k."createdAt" + make_interval(days => ep."maxAgeDays")
      THEN 'completed after the key passed its max age' || CASE WHEN r.postponements > 0 THEN ' (postponed ' || r.postponements || ' time(s))' ELSE '' END
    ELSE NULL END`;
/** Why a non-compliant key is one, from its latest rotation. */
const KEY_EXCEPTION = `CASE
    WHEN lr.state = 'scheduled' AND lr."scheduledAt" > k."createdAt" + make_interval(days => ep."maxAgeDays")
      THEN 'rotation scheduled after max age' || CASE WHEN lr.postponements > 0 THEN ' (postponed ' || lr.postponements || ' time(s))' ELSE '' END
    WHEN lr.state = 'failed' THEN 'rotation failed: ' || COALESCE(lr."failureReason", 'no reason recorded')
    WHEN lr.postponements > 0 THEN 'postponed ' || lr.postponements || ' time(s)'
    WHEN lr."deadlineExtended" THEN 'deadline extended once: the new key had not been used'
    WHEN lr.state IN ('cancelled', 'rolled_back') THEN 'its last rotation was ' || replace(lr.state::text, '_', ' ')
    WHEN lr.state IN ('scheduled', 'grace') THEN 'rotation under way, too late'
    WHEN lr.state = 'completed' THEN 'rotated after its max age'
    ELSE 'never rotated' END`;
const LATEST_ROTATION = `LEFT JOIN LATERAL (
    SELECT ${stateAtEnd("r")} AS state, r."scheduledAt", r.postponements, r."deadlineExtended", r."failureReason", r.reason FROM rotations r
    WHERE r."keyId" = k.id AND r."createdAt" < $2::timestamptz ORDER BY r."createdAt" DESC LIMIT 1) lr ON true`;

/**
 * Every organization's policy as it was in force at the end of the period ($2: its end, or its asOf instant), from
 * the policy history: a past period is judged by the policy of its time, and a change after the instant leaves the
 * report's bytes as they were.
 */
const EFFECTIVE_POLICY_SQL = effectivePolicyAtSql("$2::timestamptz");

type Params = [Date, Date, string | null, string | null];
const params = (s: ReportScope): Params => [s.from, s.to, s.organizationId, s.environment];

export interface ComplianceSummary {
  keysInScope: number;
  keysInUseAtEnd: number;
  compliantAtEnd: number;
  /** Compliant keys in use at the period's end over keys in use then; null without keys. */
  complianceAtEnd: number | null;
  /** Time-weighted over the period: compliant key-time over key-time in use. */
  complianceOverPeriod: number | null;
  rotationsCompleted: { scheduled: number; manual: number; emergency: number };
  medianAgeDays: number | null;
  maxAgeDays: number | null;
  /** Median hours from a completed rotation's start to its old key's last use (0 when unused after the start). */
  medianHoursToLastUse: number | null;
  postponements: number;
  exceptions: { keys: number; rotations: number; total: number };
  /** The policies governing keys in scope that are outside the usual bounds (policyBoundsExceeded), with the reason recorded (null: none). */
  policyExceptions: { policy: string; outside: string; reason: string | null }[];
  /** Keys by age at the period's end, in 30-day buckets, for the chart. */
  ageBuckets: { label: string; compliant: number; overdue: number }[];
}

const round = (n: number | null, digits = 1) => (n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The summary's figures, in five set-based queries whatever the number of keys. */
export async function getComplianceSummary(scope: ReportScope): Promise<ComplianceSummary> {
  const prisma = await getPrisma();
  const p = params(scope);
  const [keys, kinds, lastUse, postponed, overdue, buckets, policies] = await Promise.all([
    prisma.$queryRawUnsafe<Record<string, unknown>[]>(
      `SELECT count(*)::int AS in_scope,
              count(*) FILTER (WHERE ${RETIRED} >= $2::timestamptz)::int AS in_use_end,
              count(*) FILTER (WHERE ${RETIRED} >= $2::timestamptz AND ${COMPLIANT})::int AS compliant_end,
              count(*) FILTER (WHERE NOT ${COMPLIANT})::int AS noncompliant,
              sum(GREATEST(0, extract(epoch FROM LEAST(${RETIRED}, $2::timestamptz) - GREATEST(k."createdAt", $1::timestamptz))))::float8 AS alive_s,
              sum(GREATEST(0, extract(epoch FROM LEAST(${RETIRED}, $2::timestamptz, k."createdAt" + make_interval(days => ep."maxAgeDays")) - GREATEST(k."createdAt", $1::timestamptz))))::float8 AS compliant_s,
              (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM $2::timestamptz - k."createdAt")) FILTER (WHERE ${RETIRED} >= $2::timestamptz))::float8 AS median_age_s,
              (max(extract(epoch FROM $2::timestamptz - k."createdAt")) FILTER (WHERE ${RETIRED} >= $2::timestamptz))::float8 AS max_age_s
       FROM api_keys k JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
       WHERE ${KEY_SCOPE}`,
      ...p,
    ),
    prisma.$queryRawUnsafe<{ kind: string; n: number }[]>(
      `SELECT r.kind::text AS kind, count(*)::int AS n FROM rotations r JOIN api_keys k ON k.id = r."keyId"
       WHERE r.state = 'completed' AND r."completedAt" >= $1::timestamptz AND r."completedAt" < $2::timestamptz
         AND ($3::text IS NULL OR k."organizationId" = $3::text) AND ($4::text IS NULL OR k.environment::text = $4::text)
       GROUP BY 1`,
      ...p,
    ),
    prisma.$queryRawUnsafe<{ median_s: number | null }[]>(
      `SELECT (percentile_cont(0.5) WITHIN GROUP (ORDER BY GREATEST(0, COALESCE(extract(epoch FROM k."lastUsedAt" - r."startedAt"), 0))))::float8 AS median_s
       FROM rotations r JOIN api_keys k ON k.id = r."keyId"
       WHERE r.state = 'completed' AND r."startedAt" IS NOT NULL AND r."completedAt" >= $1::timestamptz AND r."completedAt" < $2::timestamptz
         AND ($3::text IS NULL OR k."organizationId" = $3::text) AND ($4::text IS NULL OR k.environment::text = $4::text)`,
      ...p,
    ),
    prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM audit_events e JOIN api_keys k ON k.id = e."keyId"
       WHERE e.action = 'rotation.postponed' AND e.at >= $1::timestamptz AND e.at < $2::timestamptz
         AND ($3::text IS NULL OR k."organizationId" = $3::text) AND ($4::text IS NULL OR k.environment::text = $4::text)`,
      ...p,
    ),
    prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM rotations r
       JOIN api_keys k ON k.id = r."keyId" JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
       WHERE ${KEY_SCOPE} AND ${ROTATION_IN_PERIOD} AND (${ROTATION_OVERDUE}) IS NOT NULL`,
      ...p,
    ),
    prisma.$queryRawUnsafe<{ bucket: number; compliant: number; overdue: number }[]>(
      `SELECT LEAST(floor(extract(epoch FROM $2::timestamptz - k."createdAt") / 86400 / 30), 6)::int AS bucket,
              count(*) FILTER (WHERE ${COMPLIANT})::int AS compliant, count(*) FILTER (WHERE NOT ${COMPLIANT})::int AS overdue
       FROM api_keys k JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
       WHERE ${KEY_SCOPE} AND ${RETIRED} >= $2::timestamptz GROUP BY 1 ORDER BY 1`,
      ...p,
    ),
    prisma.$queryRawUnsafe<{ policyName: string; maxAgeDays: number; gracePeriodHours: number; noticeDays: number; exceptionReason: string | null }[]>(
      `SELECT DISTINCT ep."policyName", ep."maxAgeDays", ep."gracePeriodHours", ep."noticeDays", ep."exceptionReason"
       FROM api_keys k JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
       WHERE ${KEY_SCOPE} ORDER BY 1`,
      ...p,
    ),
  ]);
  const k = keys[0];
  const inUse = Number(k.in_use_end);
  const alive = num(k.alive_s) ?? 0;
  const byKind = Object.fromEntries(kinds.map((r) => [r.kind, r.n]));
  const rotationsOverdue = overdue[0]?.n ?? 0;
  const noncompliant = Number(k.noncompliant);
  return {
    keysInScope: Number(k.in_scope),
    keysInUseAtEnd: inUse,
    compliantAtEnd: Number(k.compliant_end),
    complianceAtEnd: inUse ? Number(k.compliant_end) / inUse : null,
    complianceOverPeriod: alive > 0 ? (num(k.compliant_s) ?? 0) / alive : null,
    rotationsCompleted: { scheduled: byKind.scheduled ?? 0, manual: byKind.manual ?? 0, emergency: byKind.emergency ?? 0 },
    medianAgeDays: round(num(k.median_age_s) === null ? null : num(k.median_age_s)! / 86_400),
    maxAgeDays: round(num(k.max_age_s) === null ? null : num(k.max_age_s)! / 86_400),
    medianHoursToLastUse: round(num(lastUse[0]?.median_s) === null ? null : num(lastUse[0].median_s)! / 3_600),
    postponements: postponed[0]?.n ?? 0,
    exceptions: { keys: noncompliant, rotations: rotationsOverdue, total: noncompliant + rotationsOverdue },
    policyExceptions: policies.flatMap((q) => {
      const outside = policyBoundsExceeded(q);
      return outside ? [{ policy: q.policyName, outside, reason: q.exceptionReason }] : [];
    }),
    ageBuckets: Array.from({ length: 7 }, (_, i) => {
      const b = buckets.find((x) => x.bucket === i);
      return { label: i < 6 ? `${i * 30}–${i * 30 + 29} d` : "180+ d", compliant: b?.compliant ?? 0, overdue: b?.overdue ?? 0 };
    }),
  };
}

export interface KeyReportRow {
  keyId: string;
  organization: string;
  prefix: string;
  environment: string;
  createdAt: Date;
  retiredAt: Date | null;
  lastRotatedAt: Date | null;
  ageDaysAtEnd: number;
  policyMaxAgeDays: number;
  /** The policy it was judged by (in force at the period's end), and that policy's version (null: DOMAIN.md's defaults, or a policy without history). */
  policyName: string;
  policyVersion: number | null;
  compliant: boolean;
  /** Why it is not compliant (null when it is). */
  exception: string | null;
  /** The reason recorded on its latest rotation. */
  recordedReason: string | null;
  rotations: RotationReportRow[];
}

export interface RotationReportRow {
  id: string;
  kind: string;
  state: string;
  reason: string | null;
  by: string;
  startedAt: Date | null;
  deadline: Date | null;
  completedAt: Date | null;
  postponements: number;
  /** null: the deadline has not passed yet. */
  oldKeyUsedAfterDeadline: boolean | null;
  overdue: string | null;
}

const BATCH = 2_000;

/**
 * The keys in scope with their rotations in the period, organization by
 * organization (by name), oldest key first: read in batches of 2,000 by keyset
 * (index on organization and creation time), so 100,000 keys never sit in
 * memory at once.
 */
export async function* streamKeyRows(scope: ReportScope, options: { onlyExceptions?: boolean } = {}): AsyncGenerator<KeyReportRow[]> {
  // Only keys that are an exception or have an overdue rotation in the period (the Exceptions section's second pass).
  const exceptionsOnly = options.onlyExceptions
    ? `AND (NOT ${COMPLIANT} OR EXISTS (SELECT 1 FROM rotations r WHERE r."keyId" = k.id AND ${ROTATION_IN_PERIOD} AND (${ROTATION_OVERDUE}) IS NOT NULL))`
    : "";
  const prisma = await getPrisma();
  const orgs = await prisma.organization.findMany({
    where: scope.organizationId ? { id: scope.organizationId } : {},
    orderBy: { name: "asc" },
    select: { id: true, name: true },
  });
  for (const org of orgs) {
    let cursor: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const keys: Record<string, unknown>[] = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(
        `SELECT k.id, k.prefix, k.environment::text AS environment, k."createdAt",
                CASE WHEN ${RETIRED} < $2::timestamptz THEN ${RETIRED} END AS retired,
                (SELECT max(r."startedAt") FROM rotations r WHERE r."keyId" = k.id AND r."startedAt" < $2::timestamptz) AS last_rotated,
                extract(epoch FROM ${AGE_AT_END})::float8 / 86400 AS age_days, ep."maxAgeDays" AS max_age, ep."policyName" AS policy_name, ep."policyVersion" AS policy_version, ${COMPLIANT} AS compliant,
                CASE WHEN ${COMPLIANT} THEN NULL ELSE ${KEY_EXCEPTION} END AS exception, lr.reason AS recorded_reason
         FROM api_keys k JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
         ${LATEST_ROTATION}
         WHERE ${KEY_SCOPE} ${exceptionsOnly}
           AND ($5::timestamptz IS NULL OR (k."createdAt", k.id) > ($5::timestamptz, $6::text))
         ORDER BY k."createdAt", k.id LIMIT ${BATCH}`,
        scope.from,
        scope.to,
        org.id, // $3: one organization at a time
        scope.environment,
        cursor?.createdAt ?? null,
        cursor?.id ?? null,
      );
      if (keys.length === 0) break;
      const rotations = await prisma.$queryRawUnsafe<Record<string, unknown>[]>(
        // Whether the old key was used after the deadline, from what was known at the end of the period: its last use
        // before then, or a whole hour of the hourly counts before then.
        `SELECT r.id, r."keyId", r.kind::text AS kind, ${stateAtEnd("r")} AS state, r.reason, r.postponements,
                COALESCE(u.email, r."createdBy") AS by, r."startedAt", r."graceEndsAt",
                CASE WHEN r."completedAt" < $2::timestamptz THEN r."completedAt" END AS "completedAt",
                CASE WHEN r."graceEndsAt" IS NULL OR r."graceEndsAt" > $2::timestamptz OR r."startedAt" IS NULL THEN NULL
                     ELSE ((k."lastUsedAt" > r."graceEndsAt" AND k."lastUsedAt" < $2::timestamptz) OR EXISTS (
                       SELECT 1 FROM key_usage_hourly h WHERE h."keyId" = r."keyId" AND h.hour >= date_trunc('hour', r."graceEndsAt") + interval '1 hour'
                         AND h.hour + interval '1 hour' <= $2::timestamptz AND h.verifications + h.rejected > 0)) END AS used_after,
                ${ROTATION_OVERDUE} AS overdue
         FROM rotations r JOIN api_keys k ON k.id = r."keyId" JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
         LEFT JOIN users u ON r."createdBy" = 'user:' || u.id
         WHERE r."keyId" = ANY($3::text[]) AND ${ROTATION_IN_PERIOD}
         ORDER BY COALESCE(r."startedAt", r."scheduledAt"), r.id`,
        scope.from,
        scope.to,
        keys.map((k) => k.id as string),
      );
      const byKey = new Map<string, RotationReportRow[]>();
      for (const r of rotations) {
        const list = byKey.get(r.keyId as string) ?? [];
        list.push({
          id: r.id as string,
          kind: r.kind as string,
          state: r.state as string,
          reason: (r.reason as string | null) ?? null,
          by: r.by as string,
          startedAt: (r.startedAt as Date | null) ?? null,
          deadline: (r.graceEndsAt as Date | null) ?? null,
          completedAt: (r.completedAt as Date | null) ?? null,
          postponements: Number(r.postponements),
          oldKeyUsedAfterDeadline: (r.used_after as boolean | null) ?? null,
          overdue: (r.overdue as string | null) ?? null,
        });
        byKey.set(r.keyId as string, list);
      }
      yield keys.map((k) => ({
        keyId: k.id as string,
        organization: org.name,
        prefix: k.prefix as string,
        environment: k.environment as string,
        createdAt: k.createdAt as Date,
        retiredAt: (k.retired as Date | null) ?? null,
        lastRotatedAt: (k.last_rotated as Date | null) ?? null,
        ageDaysAtEnd: Math.round(Number(k.age_days) * 10) / 10,
        policyMaxAgeDays: Number(k.max_age),
        policyName: k.policy_name as string,
        policyVersion: k.policy_version === null ? null : Number(k.policy_version),
        compliant: Boolean(k.compliant),
        exception: (k.exception as string | null) ?? null,
        recordedReason: (k.recorded_reason as string | null) ?? null,
        rotations: byKey.get(k.id as string) ?? [],
      }));
      if (keys.length < BATCH) break;
      const last = keys[keys.length - 1];
      cursor = { createdAt: last.createdAt as Date, id: last.id as string };
    }
  }
}

/** The latest report downloads, from the audit trail, for the Reports page. */
export async function recentReportDownloads(limit = 10) {
  const prisma = await getPrisma();
  const events = await prisma.auditEvent.findMany({
    where: { action: "report.downloaded" },
    orderBy: { seq: "desc" },
    take: limit,
    select: { seq: true, at: true, actor: true, reason: true, after: true },
  });
  const ids = [
    ...new Set(
      events
        .map((e) => e.actor)
        .filter((a) => a.startsWith("user:"))
        .map((a) => a.slice(5)),
    ),
  ];
  const users = ids.length ? await prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } }) : [];
  const email = new Map(users.map((u) => [`user:${u.id}`, u.email]));
  return events.map((e) => ({ ...e, who: email.get(e.actor) ?? e.actor, sha256: (e.after as { sha256?: string } | null)?.sha256 ?? null }));
}
