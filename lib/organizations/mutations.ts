import "server-only";
import { inTransaction, type Prisma, type Tx } from "../db";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { outOfScope } from "../auth/scope";
import {
  createOrganizationSchema,
  MAX_CONTACTS,
  updateContactsSchema,
  updateOrganizationSchema,
  type CreateOrganizationInput,
  type UpdateContactsInput,
  type UpdateOrganizationInput,
} from "./schemas";
import { organizationViewSelect } from "./views";
import { revokeKeyInTx } from "../keys/mutations";
import { ensureAssignmentHistory, recordPolicyAssignment } from "../policies/history";
import type { Context, ScopedContext } from "../context";

/** Creates a customer organization. */
export async function createOrganization(input: CreateOrganizationInput, { actor, now }: Context) {
  const data = parseInput(createOrganizationSchema, input);
  return inTransaction(
    async (tx) => {
      if (data.policyId && !(await tx.rotationPolicy.findUnique({ where: { id: data.policyId }, select: { id: true } }))) {
        throw new NotFoundError("policyId: no such policy");
      }
      if (data.externalId) await requireFreeExternalId(tx, data.externalId, null);
      const org = await tx.organization.create({
        data: { ...data, metadata: data.metadata as Prisma.InputJsonValue, createdAt: now },
        select: organizationViewSelect,
      });
      await recordPolicyAssignment(tx, org.id, org.policyId, now);
      await appendAuditEvent(
        tx,
        {
          actor,
          action: "organization.created",
          organizationId: org.id,
          after: {
            name: org.name,
            contactEmails: org.contactEmails,
            timeZone: org.timeZone,
            policyId: org.policyId,
            externalId: org.externalId,
            metadata: org.metadata,
          },
        },
        now,
      );
      return org;
    },
    `An organization named "${data.name}"${data.externalId ? ` or with externalId ${data.externalId}` : ""} already exists.`,
  );
}

/** A clear 409 for an external id another organization holds (the unique index decides a race). */
async function requireFreeExternalId(tx: Tx, externalId: string, organizationId: string | null) {
  const holder = await tx.organization.findUnique({ where: { externalId }, select: { id: true } });
  if (holder && holder.id !== organizationId)
    throw new ConflictError(`externalId ${externalId} is already another organization's; external ids are unique per installation.`);
}

/** Locks a live (not deleted) organization's row for a change, or says there is none. */
async function lockOrganization(tx: Tx, id: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE id = ${id} AND "deletedAt" IS NULL FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError("No such organization.");
  return tx.organization.findUniqueOrThrow({ where: { id }, select: organizationViewSelect });
}

const ORGANIZATION_FIELDS = ["name", "contactEmails", "timeZone", "policyId", "externalId", "metadata"] as const;

/**
 * Changes an organization's name, contacts, time zone, policy, external id or
 * metadata (the management API's PATCH). Audited as `organization.updated`
 * with the changed fields before and after; a new policy or new external id
 * or metadata reaches every verifier through the database's triggers.
 */
export async function updateOrganization(id: string, input: UpdateOrganizationInput, { actor, now }: Context) {
  const data = parseInput(updateOrganizationSchema, input);
  return inTransaction(
    async (tx) => {
      const org = await lockOrganization(tx, id);
      if (data.policyId && !(await tx.rotationPolicy.findUnique({ where: { id: data.policyId }, select: { id: true } })))
        throw new NotFoundError("policyId: no such policy");
      if (data.externalId) await requireFreeExternalId(tx, data.externalId, org.id);
      const fields = ORGANIZATION_FIELDS.filter((f) => data[f] !== undefined);
      const changes = Object.fromEntries(fields.map((f) => [f, data[f]]));
      // A change of policy is history too: a past period's report judges by the policy of its time (lib/policies/history.ts).
      const policyChanged = data.policyId !== undefined && data.policyId !== org.policyId;
      if (policyChanged) await ensureAssignmentHistory(tx, id);
      const updated = await tx.organization.update({
        where: { id },
        data: { ...changes, ...(data.metadata !== undefined ? { metadata: data.metadata as Prisma.InputJsonValue } : {}), updatedAt: now },
        select: organizationViewSelect,
      });
      if (policyChanged) await recordPolicyAssignment(tx, id, updated.policyId, now);
      await appendAuditEvent(
        tx,
        {
          actor,
          action: "organization.updated",
          organizationId: id,
          reason: `changed ${fields.join(", ")}`,
          before: Object.fromEntries(fields.map((f) => [f, org[f]])),
          after: Object.fromEntries(fields.map((f) => [f, updated[f]])),
        },
        now,
      );
      return updated;
    },
    `An organization named "${data.name ?? ""}"${data.externalId ? ` or with externalId ${data.externalId}` : ""} already exists.`,
  );
}

/**
 * Deletes an organization: refused (409) while it has keys in use, unless
 * `revokeKeys`, which revokes each of them and its family (revokeKey's
 * family mode, the management API's revoke) first, all in one transaction.
 * The row stays, marked deleted, for the audit trail and compliance reports
 * of the periods it lived in; its external id is released for reuse.
 */
export async function deleteOrganization(id: string, options: { revokeKeys: boolean; reason?: string }, { actor, now }: Context) {
  return inTransaction(async (tx) => {
    const org = await lockOrganization(tx, id);
    // issueKey takes this row FOR KEY SHARE: it waits for this transaction and then finds the organization deleted.
    const inUse = await tx.apiKey.findMany({
      where: { organizationId: id, status: { in: ["active", "expiring"] } },
      select: { id: true, prefix: true },
      orderBy: { createdAt: "asc" },
    });
    if (inUse.length > 0 && !options.revokeKeys) {
      throw new ConflictError(
        `${org.name} still has ${inUse.length} key(s) in use (${inUse
          .slice(0, 3)
          .map((k) => k.prefix)
          .join(", ")}${inUse.length > 3 ? ", …" : ""}): revoke them first, or delete with ?revokeKeys=true.`,
      );
    }
    const reason = options.reason ?? `organization ${org.name} deleted`;
    const revoked: string[] = [];
    for (const key of inUse) {
      // A family member revoked with an earlier key is already gone.
      const status = (await tx.apiKey.findUniqueOrThrow({ where: { id: key.id }, select: { status: true } })).status;
      if (status !== "active" && status !== "expiring") continue;
      const result = await revokeKeyInTx(tx, { keyId: key.id, reason }, { actor, now }, { family: true });
      revoked.push(key.id, ...result.familyRevoked);
    }
    await tx.organization.update({ where: { id }, data: { deletedAt: now, externalId: null, updatedAt: now } });
    await appendAuditEvent(
      tx,
      {
        actor,
        action: "organization.deleted",
        organizationId: id,
        reason,
        before: { name: org.name, externalId: org.externalId, keysInUse: inUse.length },
        after: { deleted: true, keysRevoked: revoked.length },
      },
      now,
    );
    return { id, deleted: true as const, keysRevoked: revoked };
  });
}

/**
 * Adds or removes one contact email, or sets the time zone rotation emails
 * are written in. The organization's row is locked, so two changes at once
 * both land. At least one contact must remain: else nobody is told when a
 * key rotates. Audited with the list before and after.
 */
export async function updateContacts(input: UpdateContactsInput, { actor, now, scope = {} }: ScopedContext) {
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
      if (emails.length === 0)
        throw new ValidationError("remove: at least one contact must remain, or nobody is told when a key rotates; add another first", "remove");
    }
    const timeZone = data.timeZone ?? org.timeZone;
    const updated = await tx.organization.update({
      where: { id: data.organizationId },
      data: { contactEmails: emails, timeZone },
      select: { id: true, contactEmails: true, timeZone: true },
    });
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
