import "server-only";
import { getPrisma } from "../db";
import { DEFAULT_POLICY } from "../policies/defaults";

const DAY = 86_400_000;
const HISTORY_DAYS = 90;
const AGE_BUCKET_DAYS = 15;
const AGE_BUCKETS = 12; // the last bucket holds everything from 165 days up

// Each key with the max age of its organization's policy (else the default policy, else DOMAIN.md's 90 days).
const KEYS_WITH_MAX_AGE = `
  WITH dp AS (SELECT "maxAgeDays" FROM rotation_policies WHERE "isDefault" ORDER BY "createdAt" LIMIT 1),
  kp AS (
    SELECT k.status, k."createdAt" AS s, k."revokedAt" AS e,
           COALESCE(p."maxAgeDays", (SELECT "maxAgeDays" FROM dp), ${DEFAULT_POLICY.maxAgeDays}) AS max_age
    FROM api_keys k
    JOIN organizations o ON o.id = k."organizationId"
    LEFT JOIN rotation_policies p ON p.id = o."policyId"
  )`;

export interface Overview {
  now: Date;
  compliance: { inUse: number; compliant: number; rate: number | null };
  history: { day: string; rate: number | null; inUse: number; compliant: number }[];
  ages: { label: string; withinPolicy: number; overdue: number }[];
  rotationsByState: Record<string, number>;
  deadlines: { rotationId: string; keyId: string; prefix: string; organization: string; graceEndsAt: Date; oldKeyShare: number | null }[];
  deadlinesThisWeek: number;
  scheduledThisWeek: number;
  openAlerts: { id: string; kind: string; severity: string; message: string; keyId: string | null; createdAt: Date }[];
  openAlertCount: number;
}

/** Compliance at `now` (DOMAIN.md): keys in use within their policy's max age, over all keys in use. */
export async function complianceNow(now: Date): Promise<{ in_use: number; compliant: number }[]> {
  const prisma = await getPrisma();
  return prisma.$queryRawUnsafe<{ in_use: number; compliant: number }[]>(
    `${KEYS_WITH_MAX_AGE}
     SELECT count(*)::int AS in_use, count(*) FILTER (WHERE s > $1::timestamptz - make_interval(days => max_age))::int AS compliant
     FROM kp WHERE status IN ('active', 'expiring')`,
    now,
  );
}

/**
 * Everything the overview shows, in a handful of set-based queries whatever
 * the number of keys. DOMAIN.md: a key is compliant while its age is within
 * its policy's max age; the rate is compliant keys in use (active or
 * expiring) over all keys in use.
 */
export async function getOverview(now: Date): Promise<Overview> {
  const prisma = await getPrisma();
  const weekAhead = new Date(now.getTime() + 7 * DAY);
  const [keyFigures, byState, deadlineRows, deadlinesThisWeek, scheduledThisWeek, openAlerts, openAlertCount] = await Promise.all([
    // One statement, one pass over the keys (the CTE kp is materialized once):
    // the history from deltas (+1 when a key starts, -1 when it is revoked (in
    // use) or passes its max age or is revoked (compliant), each counted from
    // the end of its day), and the keys in use by age bucket, within policy or
    // not (whose sums are compliance now).
    prisma.$queryRawUnsafe<
      { kind: "delta" | "age"; day: Date | null; da: number | null; dc: number | null; bucket: number | null; within: number | null; overdue: number | null }[]
    >(
      `${KEYS_WITH_MAX_AGE},
       deltas AS (
         SELECT day, sum(da)::int AS da, sum(dc)::int AS dc FROM (
           SELECT date_trunc('day', s, 'UTC') + interval '1 day' AS day, 1 AS da, 1 AS dc FROM kp
           UNION ALL SELECT date_trunc('day', e, 'UTC') + interval '1 day', -1, 0 FROM kp WHERE e IS NOT NULL
           UNION ALL SELECT date_trunc('day', LEAST(s + make_interval(days => max_age), COALESCE(e, s + make_interval(days => max_age))), 'UTC') + interval '1 day', 0, -1 FROM kp
         ) x GROUP BY day),
       ages AS (
         SELECT LEAST(floor(extract(epoch FROM ($1::timestamptz - s)) / 86400 / ${AGE_BUCKET_DAYS}), ${AGE_BUCKETS - 1})::int AS bucket,
                count(*) FILTER (WHERE s > $1::timestamptz - make_interval(days => max_age))::int AS within,
                count(*) FILTER (WHERE s <= $1::timestamptz - make_interval(days => max_age))::int AS overdue
         FROM kp WHERE status IN ('active', 'expiring') GROUP BY 1)
       SELECT 'delta' AS kind, day, da, dc, NULL::int AS bucket, NULL::int AS within, NULL::int AS overdue FROM deltas
       UNION ALL SELECT 'age', NULL, NULL, NULL, bucket, within, overdue FROM ages
       ORDER BY kind, day, bucket`,
      now,
    ),
    prisma.rotation.groupBy({ by: ["state"], _count: { _all: true } }),
    prisma.rotation.findMany({
      where: { state: "grace", graceEndsAt: { gte: now, lte: weekAhead } },
      orderBy: { graceEndsAt: "asc" },
      take: 10,
      select: { id: true, keyId: true, successorId: true, graceEndsAt: true, key: { select: { prefix: true, organization: { select: { name: true } } } } },
    }),
    prisma.rotation.count({ where: { state: "grace", graceEndsAt: { gte: now, lte: weekAhead } } }),
    prisma.rotation.count({ where: { state: "scheduled", scheduledAt: { gte: now, lte: weekAhead } } }),
    prisma.alert.findMany({
      where: { status: "open" },
      orderBy: { createdAt: "desc" },
      take: 5,
      select: { id: true, kind: true, severity: true, message: true, keyId: true, createdAt: true },
    }),
    prisma.alert.count({ where: { status: "open" } }),
  ]);

  // How far each rotation's clients have moved: the old key's share of the last 24 hours' verifications.
  const ids = deadlineRows.flatMap((r) => [r.keyId, r.successorId].filter((x): x is string => !!x));
  const usage = ids.length
    ? await prisma.keyUsageHourly.groupBy({
        by: ["keyId"],
        where: { keyId: { in: ids }, hour: { gte: new Date(now.getTime() - DAY) } },
        _sum: { verifications: true },
      })
    : [];
  const used = new Map(usage.map((u) => [u.keyId, u._sum.verifications ?? 0]));

  const deltas = keyFigures.filter((r) => r.kind === "delta").map((r) => ({ day: r.day!, da: r.da!, dc: r.dc! }));
  const ages = keyFigures.filter((r) => r.kind === "age").map((r) => ({ bucket: r.bucket!, within: r.within!, overdue: r.overdue! }));
  // Compliance now (DOMAIN.md) is the age buckets' sum: the same keys in use, the same test as complianceNow().
  const compliant = ages.reduce((n, a) => n + a.within, 0);
  const inUse = ages.reduce((n, a) => n + a.within + a.overdue, 0);
  const firstDay = Math.floor(now.getTime() / DAY) * DAY - (HISTORY_DAYS - 1) * DAY;
  let da = 0;
  let dc = 0;
  let i = 0;
  const history: Overview["history"] = [];
  for (let d = firstDay; d <= firstDay + (HISTORY_DAYS - 1) * DAY; d += DAY) {
    const end = d + DAY;
    while (i < deltas.length && deltas[i].day.getTime() <= end) {
      da += deltas[i].da;
      dc += deltas[i].dc;
      i++;
    }
    const last = d === firstDay + (HISTORY_DAYS - 1) * DAY;
    const a = last ? inUse : da;
    const c = last ? compliant : dc;
    history.push({ day: new Date(d).toISOString().slice(0, 10), inUse: a, compliant: c, rate: a ? c / a : null });
  }

  const byBucket = new Map(ages.map((a) => [a.bucket, a]));
  return {
    now,
    compliance: { inUse, compliant, rate: inUse ? compliant / inUse : null },
    history,
    ages: Array.from({ length: AGE_BUCKETS }, (_, b) => ({
      label: b === AGE_BUCKETS - 1 ? `${b * AGE_BUCKET_DAYS}+ d` : `${b * AGE_BUCKET_DAYS}–${(b + 1) * AGE_BUCKET_DAYS} d`,
      withinPolicy: byBucket.get(b)?.within ?? 0,
      overdue: byBucket.get(b)?.overdue ?? 0,
    })),
    rotationsByState: Object.fromEntries(byState.map((s) => [s.state, s._count._all])),
    deadlines: deadlineRows.map((r) => {
      const oldUse = used.get(r.keyId) ?? 0;
      const newUse = r.successorId ? (used.get(r.successorId) ?? 0) : 0;
      return {
        rotationId: r.id,
        keyId: r.keyId,
        prefix: r.key.prefix,
        organization: r.key.organization.name,
        graceEndsAt: r.graceEndsAt!,
        oldKeyShare: oldUse + newUse ? oldUse / (oldUse + newUse) : null,
      };
    }),
    deadlinesThisWeek,
    scheduledThisWeek,
    openAlerts,
    openAlertCount,
  };
}
