import "server-only";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { NotFoundError } from "../errors";
import { assignPolicySchema, updatePolicySchema, type UpdatePolicyInput } from "./schemas";

const SETTINGS = ["maxAgeDays", "gracePeriodHours", "emergencyGraceHours", "noticeDays", "maxPostponements", "postponeDays", "waitForSuccessorUse", "customersManageKeys", "emergencyOnReuse"] as const;

/** Changes a policy's settings; the audit event holds the settings before and after. */
export async function updatePolicy(input: UpdatePolicyInput, actor: Actor, now: Date) {
  const { policyId, ...settings } = parseInput(updatePolicySchema, input);
  return inTransaction(async (tx) => {
    const before = await tx.rotationPolicy.findUnique({ where: { id: policyId } });
    if (!before) throw new NotFoundError("No such policy.");
    const after = await tx.rotationPolicy.update({ where: { id: policyId }, data: { ...settings, updatedAt: now } });
    const pick = (p: typeof before) => Object.fromEntries(SETTINGS.map((k) => [k, p[k]]));
    await appendAuditEvent(tx, { actor, action: "policy.updated", reason: `policy ${after.name}`, before: pick(before), after: pick(after) }, now);
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
