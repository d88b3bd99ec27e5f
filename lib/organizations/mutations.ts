import "server-only";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { outOfScope, type OrganizationScope } from "../auth/scope";
import { recordPolicyAssignment } from "../policies/history";
import { createOrganizationSchema, MAX_CONTACTS, updateContactsSchema, type CreateOrganizationInput, type UpdateContactsInput } from "./schemas";

/** Creates a customer organization. */
export async function createOrganization(input: CreateOrganizationInput, actor: Actor, now: Date) {
  const data = parseInput(createOrganizationSchema, input);
  return inTransaction(async (tx) => {
    if (data.policyId && !(await tx.rotationPolicy.findUnique({ where: { id: data.policyId }, select: { id: true } }))) {
      throw new NotFoundError("policyId: no such policy");
    }
    const org = await tx.organization.create({ data: { ...data, createdAt: now } });
    await recordPolicyAssignment(tx, org.id, org.policyId, now);
    await appendAuditEvent(
      tx,
      { actor, action: "organization.created", organizationId: org.id, after: { name: org.name, contactEmails: org.contactEmails, timeZone: org.timeZone, policyId: org.policyId } },
      now,
    );
    return org;
  }, `An organization named "${data.name}" already exists.`);
}

/**
 * Adds or removes one contact email, or sets the time zone rotation emails
 * are written in. The organization's row is locked, so two changes at once
 * both land. At least one contact must remain: else nobody is told when a
 * key rotates. Audited with the list before and after.
 */
export async function updateContacts(input: UpdateContactsInput, actor: Actor, now: Date, scope: OrganizationScope = {}) {
  const data = parseInput(updateContactsSchema, input);
  return inTransaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE id = ${data.organizationId} FOR UPDATE`;
    if (rows.length === 0 || outOfScope(scope, data.organizationId)) throw new NotFoundError("No such organization.");
    const org = await tx.organization.findUniqueOrThrow({ where: { id: data.organizationId }, select: { contactEmails: true, timeZone: true } });
    let emails = [...org.contactEmails];
    if (data.add) {
      if (emails.some((e) => e.toLowerCase() === data.add)) throw new ConflictError(`${data.add} already gets rotation emails.`);
      if (emails.length >= MAX_CONTACTS) throw new ValidationError(`add: at most ${MAX_CONTACTS} contacts; remove one first`, "add");
      emails.push(data.add);
    }
    if (data.remove) {
      if (!emails.some((e) => e.toLowerCase() === data.remove)) throw new NotFoundError(`${data.remove} is not a contact of this organization.`);
      emails = emails.filter((e) => e.toLowerCase() !== data.remove);
      if (emails.length === 0) throw new ValidationError("remove: at least one contact must remain, or nobody is told when a key rotates; add another first", "remove");
    }
    const timeZone = data.timeZone ?? org.timeZone;
    const updated = await tx.organization.update({ where: { id: data.organizationId }, data: { contactEmails: emails, timeZone }, select: { id: true, contactEmails: true, timeZone: true } });
    await appendAuditEvent(
      tx,
      {
        actor,
        action: "organization.contacts_changed",
        organizationId: data.organizationId,
        reason: data.add ? `added ${data.add}` : data.remove ? `removed ${data.remove}` : `time zone ${timeZone}`,
        before: { contactEmails: org.contactEmails, timeZone: org.timeZone },
        after: { contactEmails: updated.contactEmails, timeZone: updated.timeZone },
      },
      now,
    );
    return updated;
  });
}
