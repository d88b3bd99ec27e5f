import "server-only";
import { inTransaction, type Tx } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvents, type AuditInput } from "../audit/write";
import { parseInput } from "../validation";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors";
import { outOfScope, type OrganizationScope } from "../auth/scope";
import { getEffectivePolicy } from "../policies/queries";
import { generateApiKey, type KeyEnvironment } from "./format";
import { hashSecret } from "./hash";
import { issueKeySchema, revokeKeySchema, type IssueKeyInput } from "./schemas";
import { keyViewSelect } from "./views";
import { lockKey, lockRotation } from "../locks";

/**
 * Issues a key for an organization. The full key is in the result only: it is
 * stored as its keyed hash and display prefix. A customer (a scope) issues
 * only for their own organization and only if its policy lets customers
 * manage keys.
 */
export async function issueKey(input: IssueKeyInput, actor: Actor, now: Date, scope: OrganizationScope = {}) {
  const data = parseInput(issueKeySchema, input);
  if (data.expiresAt && data.expiresAt <= now) throw new ValidationError("expiresAt: must be in the future", "expiresAt");
  return inTransaction(async (tx) => {
    const org = await tx.organization.findUnique({ where: { id: data.organizationId }, select: { id: true } });
    if (!org || outOfScope(scope, org.id)) throw new NotFoundError("organizationId: no such organization");
    await requireCustomerKeyManagement(tx, scope, org.id, "issue");
    if (scope.organizationId) {
      // A customer's new key gets only scopes the organization already holds, and its keys' highest rate limit: the API company grants more.
      const held = await tx.apiKey.findMany({ where: { organizationId: org.id, status: { in: ["active", "expiring"] } }, select: { scopes: true, rateLimit: true } });
      const allowed = new Set(held.flatMap((k) => k.scopes));
      const extra = data.scopes.find((s) => !allowed.has(s));
      if (extra) throw new ValidationError(`scopes: ${extra} is not a scope your organization holds; the API company grants new scopes`, "scopes");
      data.rateLimit = Math.max(0, ...held.map((k) => k.rateLimit)) || data.rateLimit;
    }
    const { key, secret } = await insertKey(tx, { ...data, predecessorId: null }, now);
    await appendAuditEvents(tx, [keyIssuedEvent(actor, key, null)], now);
    return { key, secret };
  });
}

interface NewKey {
  organizationId: string;
  environment: KeyEnvironment;
  name: string;
  scopes: string[];
  rateLimit: number;
  expiresAt?: Date | null;
  predecessorId: string | null;
}

/** Mints a key row and its secret inside a transaction; the caller audits it. */
export async function insertKey(tx: Tx, data: NewKey, now: Date) {
  const { secret, prefix } = generateApiKey(data.environment);
  const key = await tx.apiKey.create({
    data: { ...data, expiresAt: data.expiresAt ?? null, prefix, ...hashSecret(secret), createdAt: now },
    select: keyViewSelect,
  });
  return { key, secret };
}

export function keyIssuedEvent(actor: Actor, key: { id: string; organizationId: string; prefix: string; environment: string; scopes: string[] }, rotationId: string | null, reason?: string): AuditInput {
  return {
    actor,
    action: "key.issued",
    organizationId: key.organizationId,
    keyId: key.id,
    keyFingerprint: key.prefix,
    rotationId,
    reason: reason ?? null,
    after: { status: "active", environment: key.environment, scopes: key.scopes },
  };
}

/**
 * Revokes a key at once. An open rotation of the key is cancelled (or, in
 * grace, completed) with it, so no rotation is left pointing at a dead key.
 */
export async function revokeKey(input: { keyId: string; reason: string }, actor: Actor, now: Date, scope: OrganizationScope = {}) {
  const data = parseInput(revokeKeySchema, input);
  return inTransaction((tx) => revokeKeyIn(tx, data, actor, now, scope));
}

/**
 * revokeKey inside the caller's transaction (a restore re-applies many in
 * one); appends its audit events. The one place a key is revoked by hand.
 */
export async function revokeKeyIn(tx: Tx, data: { keyId: string; reason: string }, actor: Actor, now: Date, scope: OrganizationScope = {}) {
  const pending = await tx.rotation.findUnique({ where: { openKeyId: data.keyId }, select: { id: true } });
  if (pending) await lockRotation(tx, pending.id);
  if (!(await lockKey(tx, data.keyId))) throw new NotFoundError("No such key.");
  const key = await tx.apiKey.findUniqueOrThrow({ where: { id: data.keyId }, select: keyViewSelect });
  if (outOfScope(scope, key.organizationId)) throw new NotFoundError("No such key.");
  await requireCustomerKeyManagement(tx, scope, key.organizationId, "revoke");
  if (key.status === "revoked") throw new ConflictError(`Key ${key.prefix} is already revoked.`);
  const events: AuditInput[] = [];
  const open = await tx.rotation.findUnique({ where: { openKeyId: key.id } });
  if (open) {
    const closedState = open.state === "grace" ? "completed" : "cancelled";
    await tx.rotation.update({
      where: { id: open.id },
      data: { state: closedState, openKeyId: null, ...(closedState === "completed" ? { completedAt: now } : { cancelledAt: now }), updatedAt: now },
    });
    events.push({ actor, action: `rotation.${closedState}`, organizationId: key.organizationId, keyId: key.id, keyFingerprint: key.prefix, rotationId: open.id, reason: `key revoked: ${data.reason}`, before: { state: open.state }, after: { state: closedState } });
  }
  const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { status: "revoked", revokedAt: now }, select: keyViewSelect });
  events.push({ actor, action: "key.revoked", organizationId: key.organizationId, keyId: key.id, keyFingerprint: key.prefix, rotationId: open?.id ?? null, reason: data.reason, before: { status: key.status }, after: { status: "revoked" } });
  await appendAuditEvents(tx, events, now);
  return revoked;
}

/** A customer issues or revokes keys only where their organization's policy allows it; staff always may. */
async function requireCustomerKeyManagement(tx: Tx, scope: OrganizationScope, organizationId: string, verb: "issue" | "revoke") {
  if (!scope.organizationId) return;
  const policy = await getEffectivePolicy(tx, organizationId);
  if (!policy.customersManageKeys) {
    throw new ForbiddenError(`Your organization's rotation policy (${policy.name}) does not let customers ${verb} keys. Ask the API company to do it.`);
  }
}
