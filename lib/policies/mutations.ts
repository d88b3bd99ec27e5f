import "server-only";
import { inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { NotFoundError } from "../errors";
import { assignPolicySchema, createPolicySchema, policyBoundsExceeded, updatePolicySchema, type CreatePolicyInput, type UpdatePolicyInput } from "./schemas";
import { ensureAssignmentHistory, ensurePolicyHistory, recordPolicyAssignment, recordPolicyVersion } from "./history";
import type { Context } from "../context";

const SETTINGS = [
  "maxAgeDays",
  "gracePeriodHours",
  "emergencyGraceHours",
  "leakGraceHours",
  "noticeDays",
  "maxPostponements",
  "postponeDays",
  "waitForSuccessorUse",
  "customersManageKeys",
  "emergencyOnReuse",
  "endGraceOnConfirmedUse",
  "exceptionReason",
] as const;

/**
 * Creates a policy (not the default), recording its first version; audited
 * with its settings.
 */
export async function createPolicy(input: CreatePolicyInput, { actor, now }: Context) {
  const { name, ...settings } = parseInput(createPolicySchema, input);
  return inTransaction(async (tx) => {
    const exceptionReason = policyBoundsExceeded(settings) ? settings.exceptionReason : null;
    const policy = await tx.rotationPolicy.create({ data: { name, ...settings, exceptionReason, createdAt: now, updatedAt: now } });
    const version = await recordPolicyVersion(tx, policy.id, now);
    const after = { ...Object.fromEntries(SETTINGS.map((k) => [k, policy[k]])), name, version };
    await appendAuditEvent(tx, { actor, action: "policy.created", reason: `policy ${name}`, after }, now);
    return policy;
  }, `A policy named "${input.name}" already exists.`);
}

/**
 * Changes a policy's settings and records its next version (valid from `now`:
 * a report over a period that ended before keeps judging by the version of its
 * time); the audit event holds the settings before and after. Settings outside the usual bounds (policyBoundsExceeded) need an
 * exception reason, which the event also carries as its reason; within them
 * the reason is dropped, so a policy never shows a stale one.
 */
export async function updatePolicy(input: UpdatePolicyInput, { actor, now }: Context) {
  const { policyId, ...settings } = parseInput(updatePolicySchema, input);
  return inTransaction(async (tx) => {
    // Locked first: two changes of one policy at once take their versions in turn.
    await tx.$queryRaw`SELECT id FROM rotation_policies WHERE id = ${policyId} FOR UPDATE`;
    const before = await tx.rotationPolicy.findUnique({ where: { id: policyId } });
    if (!before) throw new NotFoundError("No such policy.");
    await ensurePolicyHistory(tx, policyId);
    const exceptionReason = policyBoundsExceeded(settings) ? settings.exceptionReason : null;
    const after = await tx.rotationPolicy.update({ where: { id: policyId }, data: { ...settings, exceptionReason, updatedAt: now } });
    const version = await recordPolicyVersion(tx, policyId, now);
    const pick = (p: typeof before) => Object.fromEntries(SETTINGS.map((k) => [k, p[k]]));
    const reason = exceptionReason ? `policy ${after.name}, outside the usual bounds: ${exceptionReason}` : `policy ${after.name}`;
    await appendAuditEvent(tx, { actor, action: "policy.updated", reason, before: pick(before), after: { ...pick(after), version } }, now);
    return after;
  });
}

/** Puts an organization on a policy, or back on the default one (policyId null), from `now` in the policy history. */
export async function assignPolicy(input: { organizationId: string; policyId?: string | null }, { actor, now }: Context) {
  const { organizationId, policyId } = parseInput(assignPolicySchema, { ...input, policyId: input.policyId ?? undefined });
  return inTransaction(async (tx) => {
    const org = await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true, policyId: true } });
    if (!org) throw new NotFoundError("No such organization.");
    if (policyId && !(await tx.rotationPolicy.findUnique({ where: { id: policyId }, select: { id: true } }))) throw new NotFoundError("No such policy.");
    await ensureAssignmentHistory(tx, organizationId);
    const updated = await tx.organization.update({ where: { id: organizationId }, data: { policyId, updatedAt: now } });
    await recordPolicyAssignment(tx, organizationId, policyId, now);
    await appendAuditEvent(tx, { actor, action: "organization.policy_changed", organizationId, before: { policyId: org.policyId }, after: { policyId } }, now);
    return updated;
  });
}

/**
 * Makes a policy the default one (for organizations without their own): every
 * policy whose default flag changes gets a new version, so a past period keeps
 * the default of its time. Audited with the default before and after.
 */
export async function setDefaultPolicy(input: { policyId: string }, { actor, now }: Context) {
  return inTransaction(async (tx) => {
    // Two changes of the default at once would each clear the one they saw and leave two defaults: one at a time.
    await tx.$executeRawUnsafe(`LOCK TABLE rotation_policies IN SHARE ROW EXCLUSIVE MODE`);
    const target = await tx.rotationPolicy.findUnique({ where: { id: input.policyId }, select: { id: true, name: true, isDefault: true } });
    if (!target) throw new NotFoundError("No such policy.");
    const previous = await tx.rotationPolicy.findMany({ where: { isDefault: true, id: { not: target.id } }, select: { id: true, name: true } });
    if (target.isDefault && previous.length === 0) return target;
    for (const id of [target.id, ...previous.map((p) => p.id)]) await ensurePolicyHistory(tx, id);
    await tx.rotationPolicy.updateMany({ where: { id: { in: previous.map((p) => p.id) } }, data: { isDefault: false, updatedAt: now } });
    await tx.rotationPolicy.update({ where: { id: target.id }, data: { isDefault: true, updatedAt: now } });
    for (const id of [...previous.map((p) => p.id), target.id]) await recordPolicyVersion(tx, id, now);
    await appendAuditEvent(
      tx,
      {
        actor,
        action: "policy.default_changed",
        reason: `policy ${target.name}`,
        before: { policyIds: previous.map((p) => p.id) },
        after: { policyId: target.id },
      },
      now,
    );
    return { ...target, isDefault: true };
  });
}
