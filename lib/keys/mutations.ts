import "server-only";
import { inTransaction, type Prisma, type Tx } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvents } from "../audit/write";
import { parseInput } from "../validation";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { outOfScope, type OrganizationScope } from "../auth/scope";
import { getEffectivePolicy } from "../policies/queries";
import { generateApiKey, type KeyEnvironment } from "./format";
import { hashSecret } from "./hash";
import { issueKeySchema, revokeKeySchema, updateKeySchema, type IssueKeyInput, type UpdateKeyInput } from "./schemas";
import { keyViewSelect } from "./views";
import { lockKey, lockRotation } from "../locks";
import { supersedeOpenRotation } from "../rotations/mutations";
import { recordEvent, type LifecycleEvent } from "../rotations/events";
import type { Context, ScopedContext } from "../context";

/**
 * Issues a key for an organization. The full key is in the result only: it is
 * stored as its keyed hash and display prefix. A customer (a scope) issues
 * only for their own organization and only if its policy lets customers
 * manage keys.
 */
export async function issueKey(input: IssueKeyInput, { actor, now, scope = {} }: ScopedContext) {
  const data = parseInput(issueKeySchema, input);
  if (data.expiresAt && data.expiresAt <= now) throw new ValidationError("expiresAt: must be in the future", "expiresAt");
  return inTransaction(async (tx) => {
    // FOR KEY SHARE waits for a deletion under way (deleteOrganization locks the row) and then sees it.
    const [org] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE id = ${data.organizationId} AND "deletedAt" IS NULL FOR KEY SHARE`;
    if (!org || outOfScope(scope, org.id)) throw new NotFoundError("organizationId: no such organization");
    await requireCustomerKeyManagement(tx, scope, org.id, "issue");
    if (scope.organizationId) {
      // A customer's new key gets only scopes the organization already holds, and its keys' highest rate limit: the API company grants more.
      const held = await tx.apiKey.findMany({
        where: { organizationId: org.id, status: { in: ["active", "expiring"] } },
        select: { scopes: true, rateLimit: true },
      });
      const allowed = new Set(held.flatMap((k) => k.scopes));
      const extra = data.scopes.find((s) => !allowed.has(s));
      if (extra) throw new ValidationError(`scopes: ${extra} is not a scope your organization holds; the API company grants new scopes`, "scopes");
      data.rateLimit = Math.max(0, ...held.map((k) => k.rateLimit)) || data.rateLimit;
    }
    if (data.externalId) await requireFreeKeyExternalId(tx, data.externalId, null);
    const { key, secret } = await insertKey(tx, { ...data, predecessorId: null }, now);
    await recordEvent(tx, keyCreatedEvent(actor, key, null), now);
    return { key, secret };
  }, externalIdTaken(data.externalId));
}

const externalIdTaken = (externalId: string | null | undefined) =>
  externalId ? `externalId ${externalId} is already another key's; external ids are unique per installation.` : undefined;

/** A clear 409 for an external id another key holds (the unique index decides a race, with the same words). */
async function requireFreeKeyExternalId(tx: Tx, externalId: string, keyId: string | null) {
  const holder = await tx.apiKey.findUnique({ where: { externalId }, select: { id: true } });
  if (holder && holder.id !== keyId) throw new ConflictError(externalIdTaken(externalId)!);
}

/** The fields of a key an update may change, as the audit trail records them before and after. */
const UPDATABLE = ["name", "scopes", "rateLimit", "expiresAt", "externalId", "metadata"] as const;

/**
 * Changes a key's name, scopes, rate limit, expiry, external id or metadata
 * (staff and management tokens; the portal does not offer it). A revoked or
 * expired key is not edited: nothing it says matters any more. Audited as
 * `key.updated` with the changed fields before and after; the record's
 * trigger tells every verifier.
 */
export async function updateKey(keyId: string, input: UpdateKeyInput, { actor, now }: Context) {
  const data = parseInput(updateKeySchema, input);
  if (data.expiresAt && data.expiresAt <= now) throw new ValidationError("expiresAt: must be in the future (revoke the key to end it now)", "expiresAt");
  return inTransaction(async (tx) => {
    if (!(await lockKey(tx, keyId))) throw new NotFoundError("No such key.");
    const key = await tx.apiKey.findUniqueOrThrow({ where: { id: keyId }, select: keyViewSelect });
    if (key.status === "revoked" || key.status === "expired") throw new ConflictError(`Key ${key.prefix} is ${key.status}: it can no longer be changed.`);
    if (data.externalId) await requireFreeKeyExternalId(tx, data.externalId, key.id);
    const changes = Object.fromEntries(UPDATABLE.filter((f) => data[f] !== undefined).map((f) => [f, data[f]]));
    const updated = await tx.apiKey.update({
      where: { id: key.id },
      data: { ...changes, ...(data.metadata !== undefined ? { metadata: data.metadata as Prisma.InputJsonValue } : {}) },
      select: keyViewSelect,
    });
    const fields = Object.keys(changes) as (typeof UPDATABLE)[number][];
    await appendAuditEvents(
      tx,
      [
        {
          actor,
          action: "key.updated",
          organizationId: key.organizationId,
          keyId: key.id,
          keyFingerprint: key.prefix,
          reason: `changed ${fields.join(", ")}`,
          before: Object.fromEntries(fields.map((f) => [f, key[f]])),
          after: Object.fromEntries(fields.map((f) => [f, updated[f]])),
        },
      ],
      now,
    );
    return updated;
  }, externalIdTaken(data.externalId));
}

interface NewKey {
  organizationId: string;
  environment: KeyEnvironment;
  name: string;
  scopes: string[];
  rateLimit: number;
  expiresAt?: Date | null;
  /** The company's id for the key: a successor does not inherit it (it is unique, and names the key it was given to). */
  externalId?: string | null;
  /** The company's metadata: a successor carries its predecessor's, so verify answers the same for both. */
  metadata?: unknown;
  predecessorId: string | null;
}

/** Mints a key row and its secret inside a transaction; the caller audits it. */
export async function insertKey(tx: Tx, data: NewKey, now: Date) {
  const { secret, prefix } = generateApiKey(data.environment);
  const key = await tx.apiKey.create({
    data: {
      ...data,
      expiresAt: data.expiresAt ?? null,
      externalId: data.externalId ?? null,
      metadata: (data.metadata ?? {}) as Prisma.InputJsonValue,
      prefix,
      ...hashSecret(secret),
      createdAt: now,
    },
    select: keyViewSelect,
  });
  return { key, secret };
}

export function keyCreatedEvent(
  actor: Actor,
  key: { id: string; organizationId: string; prefix: string; environment: string; scopes: string[] },
  rotationId: string | null,
  reason?: string,
): LifecycleEvent {
  return {
    actor,
    type: "key.created",
    key,
    rotationId,
    reason: reason ?? null,
    after: { status: "active", environment: key.environment, scopes: key.scopes },
  };
}

/**
 * Revokes a key at once. An open rotation of the key is cancelled (or, in
 * grace, completed) with it, so no rotation is left pointing at a dead key.
 * With `family` (the management API's revoke, a possible leak), it is
 * superseded as an emergency supersedes it (supersedeOpenRotation, family): its open
 * rotation is cancelled or rolled back and every key minted from it since is
 * revoked with it, in this one transaction.
 */
export async function revokeKey(input: { keyId: string; reason: string }, { actor, now, scope = {} }: ScopedContext, options: { family?: boolean } = {}) {
  const data = parseInput(revokeKeySchema, input);
  return inTransaction((tx) => revokeKeyInTx(tx, data, { actor, now, scope }, options));
}

/** revokeKey's work inside the caller's transaction (deleting an organization revokes its keys in its own; a restore re-applies journaled revocations in batches), on validated input. The one place a key is revoked by hand. */
export async function revokeKeyInTx(
  tx: Tx,
  data: { keyId: string; reason: string },
  { actor, now, scope = {} }: ScopedContext,
  options: { family?: boolean } = {},
) {
  const pending = await tx.rotation.findUnique({ where: { openKeyId: data.keyId }, select: { id: true } });
  if (pending) await lockRotation(tx, pending.id);
  if (!(await lockKey(tx, data.keyId))) throw new NotFoundError("No such key.");
  const key = await tx.apiKey.findUniqueOrThrow({ where: { id: data.keyId }, select: keyViewSelect });
  if (outOfScope(scope, key.organizationId)) throw new NotFoundError("No such key.");
  await requireCustomerKeyManagement(tx, scope, key.organizationId, "revoke");
  if (key.status === "revoked") throw new ConflictError(`Key ${key.prefix} is already revoked.`);
  const superseded = await supersedeOpenRotation(tx, key.id, { actor, now }, `key revoked: ${data.reason}`, options.family ? "family" : "close");
  if (options.family) key.status = (await tx.apiKey.findUniqueOrThrow({ where: { id: key.id }, select: { status: true } })).status;
  const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { status: "revoked", revokedAt: now }, select: keyViewSelect });
  await recordEvent(
    tx,
    {
      actor,
      type: "key.revoked",
      key,
      rotationId: options.family ? null : (superseded.closed?.id ?? null),
      reason: data.reason,
      before: { status: key.status },
      after: { status: "revoked" },
    },
    now,
  );
  return { ...revoked, familyRevoked: superseded.revoked };
}

/** A customer issues or revokes keys only where their organization's policy allows it; staff always may. */
async function requireCustomerKeyManagement(tx: Tx, scope: OrganizationScope, organizationId: string, verb: "issue" | "revoke") {
  if (!scope.organizationId) return;
  const policy = await getEffectivePolicy(tx, organizationId);
  if (!policy.customersManageKeys) {
    throw new ForbiddenError(`Your organization's rotation policy (${policy.name}) does not let customers ${verb} keys. Ask the API company to do it.`);
  }
}
