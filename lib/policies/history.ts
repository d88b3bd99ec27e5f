import "server-only";
import type { Tx } from "../db";

/*
 * Policy history: a report over a past period judges keys by the policy in
 * force then (docs/reports.md), not today's. Every change of a policy's
 * settings, of which policy is the default, and of which policy an
 * organization uses writes a version here, in the transaction of the change.
 * Only lib/policies (and the organization's creation, and the seed) call these.
 */

/**
 * Records the policy as it now is (read in the transaction, after the change)
 * as its next version, valid from `validFrom`. The number is taken after the
 * policy's row was updated (its row lock orders two changes of one policy);
 * the unique (policyId, version) refuses a race that slips past.
 */
export async function recordPolicyVersion(tx: Tx, policyId: string, validFrom: Date): Promise<number> {
  const p = await tx.rotationPolicy.findUniqueOrThrow({ where: { id: policyId } });
  const last = await tx.policyVersion.findFirst({ where: { policyId }, orderBy: { version: "desc" }, select: { version: true } });
  const version = (last?.version ?? 0) + 1;
  await tx.policyVersion.create({
    data: {
      policyId,
      version,
      validFrom,
      name: p.name,
      isDefault: p.isDefault,
      maxAgeDays: p.maxAgeDays,
      gracePeriodHours: p.gracePeriodHours,
      emergencyGraceHours: p.emergencyGraceHours,
      leakGraceHours: p.leakGraceHours,
      noticeDays: p.noticeDays,
      maxPostponements: p.maxPostponements,
      postponeDays: p.postponeDays,
      waitForSuccessorUse: p.waitForSuccessorUse,
      customersManageKeys: p.customersManageKeys,
      emergencyOnReuse: p.emergencyOnReuse,
      endGraceOnConfirmedUse: p.endGraceOnConfirmedUse,
      exceptionReason: p.exceptionReason,
    },
  });
  return version;
}

/**
 * Before a policy without history (made before it was kept, or inserted
 * directly) changes, records it as it was, valid from its creation, as the
 * migration's backfill does: else a past period would find no version of it.
 */
export async function ensurePolicyHistory(tx: Tx, policyId: string): Promise<void> {
  if (await tx.policyVersion.findFirst({ where: { policyId }, select: { id: true } })) return;
  const p = await tx.rotationPolicy.findUniqueOrThrow({ where: { id: policyId }, select: { createdAt: true } });
  await recordPolicyVersion(tx, policyId, p.createdAt);
}

/** Records that an organization uses `policyId` (null: the default policy) from `validFrom`. */
export async function recordPolicyAssignment(tx: Tx, organizationId: string, policyId: string | null, validFrom: Date): Promise<void> {
  await tx.policyAssignment.create({ data: { organizationId, policyId, validFrom } });
}

/** As ensurePolicyHistory, for an organization's assignment: its policy as it was, from the organization's creation. */
export async function ensureAssignmentHistory(tx: Tx, organizationId: string): Promise<void> {
  if (await tx.policyAssignment.findFirst({ where: { organizationId }, select: { id: true } })) return;
  const o = await tx.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { policyId: true, createdAt: true } });
  await recordPolicyAssignment(tx, organizationId, o.policyId, o.createdAt);
}
