import "server-only";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { NotFoundError } from "../errors";
import { assignPolicySchema, policyBoundsExceeded, updatePolicySchema, type UpdatePolicyInput } from "./schemas";

const SETTINGS = ["maxAgeDays", "gracePeriodHours", "emergencyGraceHours", "noticeDays", "maxPostponements", "postponeDays", "waitForSuccessorUse", "customersManageKeys", "emergencyOnReuse", "exceptionReason"] as const;

/**
 * Changes a policy's settings; the audit event holds the settings before and
 * after. Settings outside the usual bounds (policyBoundsExceeded) need an
 * exception reason, which the event also carries as its reason; within them
 * the reason is dropped, so a policy never shows a stale one.
 */
export async function updatePolicy(input: UpdatePolicyInput, actor: Actor, now: Date) {
  const { policyId, ...settings } = parseInput(updatePolicySchema, input);
  return inTransaction(async (tx) => {
    const before = await tx.rotationPolicy.findUnique({ where: { id: policyId } });
    if (!before) throw new NotFoundError("No such policy.");
    const exceptionReason = policyBoundsExceeded(settings) ? settings.exceptionReason : null;
    const after = await tx.rotationPolicy.update({ where: { id: policyId }, data: { ...settings, exceptionReason, updatedAt: now } });
    const pick = (p: typeof before) => Object.fromEntries(SETTINGS.map((k) => [k, p[k]]));
    const reason = exceptionReason ? `policy ${after.name}, outside the usual bounds: ${exceptionReason}` : `policy ${after.name}`;
    await appendAuditEvent(tx, { actor, action: "policy.updated", reason, before: pick(before), after: pick(after) }, now);
    return after;
  });
}

/** Puts an organization on a policy, or back on the default one (policyId null). */
export async function assignPolicy(input: { organizationId: string; policyId?: string | null }, actor: Actor, now: Date) {
  const { organizationId, policyId } = parseInput(assignPolicySchema, { ...input, policyId: input.policyId ?? undefined });
  return inTransaction(async (tx) => {
    const org = await tx.organization.findUnique({ where: { id: organizationId }, select: { id: true, policyId: true } });
    if (!org) throw new NotFoundError("No such organization.");
    if (policyId && !(await tx.rotationPolicy.findUnique({ where: { id: policyId }, select: { id: true } }))) throw new NotFoundError("No such policy.");
    const updated = await tx.organization.update({ where: { id: organizationId }, data: { policyId, updatedAt: now } });
    await appendAuditEvent(tx, { actor, action: "organization.policy_changed", organizationId, before: { policyId: org.policyId }, after: { policyId } }, now);
    return updated;
  });
}
