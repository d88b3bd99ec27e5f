import "server-only";
import { inTransaction, Prisma, type Tx } from "../db";
import { SYSTEM_CRON, type Actor } from "../auth/actor";
import { recordEvents } from "../rotations/events";
import { EFFECTIVE_POLICY_SQL } from "../policies/sql";

const BATCH = 5_000;

interface ScheduledRow {
  rotationId: string;
  keyId: string;
  prefix: string;
  environment: string;
  organizationId: string;
  scheduledAt: Date;
  graceEndsAt: Date;
  maxAgeDays: number;
  postponeDays: number;
  maxPostponements: number;
}

/**
 * Schedules a rotation for every active key that reaches its policy's max age
 * within the policy's notice period and has no open rotation, so the customer
 * is told `noticeDays` before the old key must stop working. The rotation is
 * timed so that its grace period ends at the key's max age (start = created +
 * max age − grace); a key already past that starts at once. After someone
 * cancelled, rolled back, or a rotation failed, the key is left alone for one
 * notice period before the cron schedules it again.
 * Set-based in batches, with audit events and notices in the same
 * transaction; SKIP LOCKED plus the one-open-rotation constraint make
 * concurrent calls schedule each key once.
 */
export async function scheduleDueRotations(now: Date, actor: Actor = SYSTEM_CRON): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await inTransaction((tx) => scheduleBatch(tx, now, actor));
    total += n;
    if (n < BATCH) return total;
  }
}

async function scheduleBatch(tx: Tx, now: Date, actor: Actor): Promise<number> {
  const rows = await tx.$queryRaw<ScheduledRow[]>`
    WITH ep AS ${Prisma.raw(EFFECTIVE_POLICY_SQL)},
    due AS (
      SELECT k.id, k."organizationId", k."createdAt", ep."maxAgeDays", ep."gracePeriodHours", ep."noticeDays", ep."postponeDays", ep."maxPostponements"
      FROM api_keys k JOIN ep ON ep."organizationId" = k."organizationId"
      WHERE k.status = 'active'
        -- a sargable bound first (the loosest policy), then each key's own policy
        AND k."createdAt" <= ${now}::timestamptz - make_interval(days => (SELECT min("maxAgeDays" - "noticeDays") FROM ep))
        AND k."createdAt" + make_interval(days => ep."maxAgeDays" - ep."noticeDays") <= ${now}
        AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r."openKeyId" = k.id)
        AND NOT EXISTS (
          SELECT 1 FROM rotations r WHERE r."keyId" = k.id
            AND GREATEST(r."cancelledAt", r."rolledBackAt", r."failedAt") > ${now}::timestamptz - make_interval(days => ep."noticeDays"))
      ORDER BY k."createdAt"
      LIMIT ${BATCH}
      FOR UPDATE OF k SKIP LOCKED
    ), timed AS (
      SELECT due.*, GREATEST(due."createdAt" + make_interval(days => due."maxAgeDays") - make_interval(hours => due."gracePeriodHours"), ${now}::timestamptz) AS at
      FROM due
    ), inserted AS (
      INSERT INTO rotations (id, "keyId", "openKeyId", kind, state, deliver, reason, "gracePeriodHours", "scheduledAt", "graceEndsAt", "createdBy", "createdAt", "updatedAt")
      SELECT gen_random_uuid()::text, t.id, t.id, 'scheduled', 'scheduled', 'portal', 'policy: key reaches its max age of ' || t."maxAgeDays" || ' days',
             t."gracePeriodHours", t.at, t.at + make_interval(hours => t."gracePeriodHours"), ${actor}, ${now}, ${now}
      FROM timed t
      ON CONFLICT ("openKeyId") DO NOTHING
      RETURNING id, "keyId", "scheduledAt", "graceEndsAt"
    )
    SELECT i.id AS "rotationId", i."keyId", k.prefix, k.environment::text AS environment, k."organizationId",
           i."scheduledAt", i."graceEndsAt", t."maxAgeDays", t."postponeDays", t."maxPostponements"
    FROM inserted i JOIN timed t ON t.id = i."keyId" JOIN api_keys k ON k.id = i."keyId"`;
  if (rows.length === 0) return 0;
  await recordEvents(
    tx,
    rows.map((r) => ({
      actor,
      type: "rotation.scheduled" as const,
      key: { id: r.keyId, prefix: r.prefix, organizationId: r.organizationId, environment: r.environment },
      rotationId: r.rotationId,
      reason: `policy: key reaches its max age of ${r.maxAgeDays} days`,
      after: { kind: "scheduled", state: "scheduled", scheduledAt: r.scheduledAt, graceEndsAt: r.graceEndsAt, byPolicy: true },
      // The customer reads the dates, not the policy's wording.
      email: { kind: "rotation_notice" as const, rotationKind: "scheduled", scheduledAt: r.scheduledAt, graceEndsAt: r.graceEndsAt, reason: null },
    })),
    now,
  );
  return rows.length;
}
