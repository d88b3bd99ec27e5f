import "server-only";
import { getPrisma, inTransaction } from "../db";
import { recordEvents } from "./events";
import { keyFilterSql } from "../keys/queries";
import { parseInput } from "../validation";
import { ValidationError } from "../errors";
import { EFFECTIVE_POLICY_SQL } from "../policies/sql";
import { latestAllowedStartSql } from "./limits";
import { bulkScheduleSchema, type BulkScheduleRequest } from "./schemas";
import type { Context } from "../context";

/** At most this many keys in one bulk action: beyond it, narrow the filter. */
export const BULK_LIMIT = 20_000;

/** The keys a bulk schedule would give a rotation: active, none open, matching the keys table's filter. */
function schedulableSql(where: string[]): string {
  // o and p: the keys table's filter reads them (keyFilterSql); ep: the effective policy, for grace and the latest start.
  return `FROM api_keys k
       JOIN organizations o ON o.id = k."organizationId"
       LEFT JOIN rotation_policies p ON p.id = o."policyId"
       JOIN ${EFFECTIVE_POLICY_SQL} ep ON ep."organizationId" = k."organizationId"
       WHERE k.status = 'active' AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r."openKeyId" = k.id)
       ${where.length ? `AND ${where.join(" AND ")}` : ""}`;
}

/**
 * How many of the keys a filter matches a bulk schedule would touch (active,
 * no rotation under way): what the button and its confirmation count, so
 * they never promise keys it leaves alone.
 */
export async function countSchedulable(
  filters: Pick<BulkScheduleRequest, "status" | "environment" | "organizationId" | "overdue">,
  now: Date,
): Promise<number> {
  const { where, params } = keyFilterSql(filters, now);
  const prisma = await getPrisma();
  const [row] = await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n ${schedulableSql(where)}`, ...params);
  return row.n;
}

/**
 * Schedules a rotation at `scheduledAt` for every active key the filter
 * matches that has no open rotation, each with its own policy's grace period.
 * One transaction and a few set-based statements, with an audit event and a
 * notice per rotation. A key that gained an open rotation meanwhile is
 * skipped by the one-open-rotation constraint, not an error. A key whose
 * policy makes it start rotating before `scheduledAt` is left out and
 * counted (`tooLate`, with the earliest such deadline, `tooLateMustStartBy`).
 */
export async function scheduleRotationsForFilter(input: BulkScheduleRequest, { actor, now }: Context) {
  const data = parseInput(bulkScheduleSchema, input);
  if (data.scheduledAt <= now) throw new ValidationError("scheduledAt: must be in the future", "scheduledAt");
  const { where, params } = keyFilterSql(
    { status: data.status, environment: data.environment, organizationId: data.organizationId, overdue: data.overdue },
    now,
  );
  const n = params.length;
  params.push(data.scheduledAt, data.reason, actor, now);
  const [at, reason, by, stamp] = [n + 1, n + 2, n + 3, n + 4].map((i) => `$${i}`);
  const matching = schedulableSql(where);
  const latest = latestAllowedStartSql(`ep."gracePeriodHours"`);
  return inTransaction(async (tx) => {
    // Keys that must start rotating before the chosen time are left out, and said so (the one-by-one rule: lib/rotations/limits.ts).
    const [late] = await tx.$queryRawUnsafe<{ n: number; earliest: Date | null }[]>(
      `SELECT count(*)::int AS n, min(${latest}) AS earliest ${matching} AND ${at}::timestamptz > ${latest}`,
      ...params.slice(0, n + 1), // the filter's and scheduledAt: PostgreSQL refuses parameters a statement does not use
    );
    const tooLate = late.n ? { tooLate: late.n, tooLateMustStartBy: late.earliest! } : {};
    const created = await tx.$queryRawUnsafe<{ id: string; keyId: string; graceEndsAt: Date; gracePeriodHours: number }[]>(
      `INSERT INTO rotations (id, "keyId", "openKeyId", kind, state, deliver, reason, "gracePeriodHours", "scheduledAt", "graceEndsAt", "createdBy", "createdAt", "updatedAt")
       SELECT gen_random_uuid()::text, k.id, k.id, 'scheduled', 'scheduled', 'portal', ${reason}, ep."gracePeriodHours",
              ${at}::timestamptz, ${at}::timestamptz + make_interval(hours => ep."gracePeriodHours"), ${by}, ${stamp}::timestamptz, ${stamp}::timestamptz
       ${matching}
         AND ${at}::timestamptz <= ${latest}
       ORDER BY k."createdAt"
       LIMIT ${BULK_LIMIT + 1}
       ON CONFLICT ("openKeyId") DO NOTHING
       RETURNING id, "keyId", "graceEndsAt", "gracePeriodHours"`,
      ...params,
    );
    if (created.length > BULK_LIMIT) {
      throw new ValidationError(
        `That filter matches more than ${BULK_LIMIT.toLocaleString("en")} keys: narrow it (by organization or environment) and repeat.`,
      );
    }
    if (created.length === 0) return { scheduled: 0, ...tooLate };
    const keys = await tx.apiKey.findMany({
      where: { id: { in: created.map((c) => c.keyId) } },
      select: { id: true, prefix: true, environment: true, organizationId: true },
    });
    const byId = new Map(keys.map((k) => [k.id, k]));
    await recordEvents(
      tx,
      created.map((c) => ({
        actor,
        type: "rotation.scheduled" as const,
        key: byId.get(c.keyId)!,
        rotationId: c.id,
        reason: data.reason,
        after: {
          kind: "scheduled",
          state: "scheduled",
          scheduledAt: data.scheduledAt,
          graceEndsAt: c.graceEndsAt,
          gracePeriodHours: c.gracePeriodHours,
          bulk: true,
        },
        email: { kind: "rotation_notice" as const, rotationKind: "scheduled", scheduledAt: data.scheduledAt, graceEndsAt: c.graceEndsAt },
      })),
      now,
    );
    return { scheduled: created.length, ...tooLate };
  });
}
