import "server-only";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { NotFoundError } from "../errors";
import { createOrganizationSchema, type CreateOrganizationInput } from "./schemas";

/** Creates a customer organization. */
export async function createOrganization(input: CreateOrganizationInput, actor: Actor, now: Date) {
  const data = parseInput(createOrganizationSchema, input);
  return inTransaction(async (tx) => {
    if (data.policyId && !(await tx.rotationPolicy.findUnique({ where: { id: data.policyId }, select: { id: true } }))) {
      throw new NotFoundError("policyId: no such policy");
    }
    const org = await tx.organization.create({ data: { ...data, createdAt: now } });
    await appendAuditEvent(
      tx,
      { actor, action: "organization.created", organizationId: org.id, after: { name: org.name, contactEmails: org.contactEmails, timeZone: org.timeZone, policyId: org.policyId } },
      now,
    );
    return org;
  }, `An organization named "${data.name}" already exists.`);
}
