import "server-only";
import { getPrisma } from "../db";
import { NotFoundError } from "../errors";
import { DEFAULT_POLICY } from "./defaults";
import { getEffectivePolicy } from "./queries";

export interface PolicyImpact {
  from: { name: string; maxAgeDays: number };
  to: { name: string; maxAgeDays: number; noticeDays: number; gracePeriodHours: number };
  /** Active and expiring keys of the organization. */
  keysInUse: number;
  /** Past max age now, under the current policy / under the new one. */
  overdueNow: number;
  overdueAfter: number;
  /** Keys the next cron call would give a rotation under the new policy (each with a notice emailed)… */
  scheduledByCron: number;
  /** …of which this many start rotating at once (already within grace of the new max age). */
  startAtOnce: number;
  /** Addresses each notice goes to. */
  contacts: number;
}

/**
 * What putting an organization on `policyId` (null: the default policy) would
 * do, before it is done: how many of its keys become past max age, how many
 * the next cron call schedules (and emails), how many start at once. The
 * same rules as the cron's (lib/cron/schedule.ts: due at max age less
 * notice, left alone for one notice period after a cancel, rollback or
 * failure). Reads only.
 */
export async function previewPolicyAssignment(organizationId: string, policyId: string | null, now: Date): Promise<PolicyImpact> {
  const prisma = await getPrisma();
  const org = await prisma.organization.findFirst({ where: { id: organizationId, deletedAt: null }, select: { id: true, contactEmails: true } });
  if (!org) throw new NotFoundError("organizationId: no such organization");
  const from = await getEffectivePolicy(prisma, org.id);
  const target = policyId
    ? await prisma.rotationPolicy.findUnique({ where: { id: policyId } })
    : ((await prisma.rotationPolicy.findFirst({ where: { isDefault: true } })) ?? { ...DEFAULT_POLICY });
  if (!target) throw new NotFoundError("policyId: no such policy");
  const day = (n: number) => n * 86_400_000;
  const [row] = await prisma.$queryRaw<{ inUse: number; overdueNow: number; overdueAfter: number; scheduled: number; atOnce: number }[]>`
    WITH k AS (
      SELECT k.id, k.status, k."createdAt",
             NOT EXISTS (SELECT 1 FROM rotations r WHERE r."openKeyId" = k.id)
               AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r."keyId" = k.id
                                 AND GREATEST(r."cancelledAt", r."rolledBackAt", r."failedAt") > ${new Date(now.getTime() - day(target.noticeDays))}) AS free
      FROM api_keys k WHERE k."organizationId" = ${org.id} AND k.status IN ('active', 'expiring')
    )
    SELECT count(*)::int AS "inUse",
           count(*) FILTER (WHERE "createdAt" < ${new Date(now.getTime() - day(from.maxAgeDays))})::int AS "overdueNow",
           count(*) FILTER (WHERE "createdAt" < ${new Date(now.getTime() - day(target.maxAgeDays))})::int AS "overdueAfter",
           count(*) FILTER (WHERE status = 'active' AND free AND "createdAt" <= ${new Date(now.getTime() - day(target.maxAgeDays - target.noticeDays))})::int AS scheduled,
           count(*) FILTER (WHERE status = 'active' AND free
                              AND "createdAt" <= ${new Date(now.getTime() - day(target.maxAgeDays) + target.gracePeriodHours * 3_600_000)})::int AS "atOnce"
    FROM k`;
  return {
    from: { name: from.name, maxAgeDays: from.maxAgeDays },
    to: { name: target.name, maxAgeDays: target.maxAgeDays, noticeDays: target.noticeDays, gracePeriodHours: target.gracePeriodHours },
    keysInUse: row.inUse,
    overdueNow: row.overdueNow,
    overdueAfter: row.overdueAfter,
    scheduledByCron: row.scheduled,
    startAtOnce: row.atOnce,
    contacts: org.contactEmails.length,
  };
}
