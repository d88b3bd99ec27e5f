import "server-only";
import { formatUtcMinute } from "../time";
import { z } from "zod";
import { inTransaction, type Tx } from "../db";
import { outOfScope, type OrganizationScope } from "../auth/scope";
import { recordEvents, type LifecycleEvent } from "./events";
import { insertKey, keyCreatedEvent } from "../keys/mutations";
import { lockKey, lockRotation } from "../locks";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError } from "../errors";
import { rotationViewSelect } from "./views";
import type { Context, ScopedContext } from "../context";

export const revealSuccessorSchema = z.object({
  rotationId: z.string().min(1, "is required"),
});

export const rerollSuccessorSchema = z.object({
  rotationId: z.string().min(1, "is required"),
  reason: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});

/** An emergency rotation with no grace ("revoke now"): its successor is revealed after the old key is gone. */
export function isRevokedAtOnce(r: { kind: string; state: string; gracePeriodHours: number }): boolean {
  return r.kind === "emergency" && r.state === "completed" && r.gracePeriodHours === 0;
}

/** The rotation, locked, in grace and in scope; else the error a customer should read. */
async function lockRotationInGrace(tx: Tx, rotationId: string, now: Date, scope: OrganizationScope) {
  if (!(await lockRotation(tx, rotationId))) throw new NotFoundError("No such rotation.");
  const rotation = await tx.rotation.findUniqueOrThrow({
    where: { id: rotationId },
    select: {
      ...rotationViewSelect,
      successor: { select: { id: true, prefix: true, status: true } },
      key: { select: { id: true, prefix: true, organizationId: true, environment: true, name: true, scopes: true, rateLimit: true, metadata: true } },
    },
  });
  if (outOfScope(scope, rotation.key.organizationId)) throw new NotFoundError("No such rotation.");
  // An emergency rotation that revoked the old key at once has no grace, but its customer still needs the new key.
  if (isRevokedAtOnce(rotation)) {
    await lockKey(tx, rotation.keyId);
    return rotation;
  }
  if (rotation.state === "scheduled") {
    throw new ConflictError(`This rotation starts on ${formatUtcMinute(rotation.scheduledAt)}; its new key can be revealed from then on.`);
  }
  if (rotation.state !== "grace") {
    throw new ConflictError(`This rotation is ${rotation.state.replace("_", " ")}; a new key is only revealed while both keys work (the grace period).`);
  }
  if (rotation.graceEndsAt && rotation.graceEndsAt <= now) {
    throw new ConflictError(`The grace period of this rotation ended on ${formatUtcMinute(rotation.graceEndsAt)}.`);
  }
  await lockKey(tx, rotation.keyId);
  return rotation;
}

async function mintSuccessor(tx: Tx, rotation: Awaited<ReturnType<typeof lockRotationInGrace>>, { actor, now }: Context, reason: string) {
  const k = rotation.key;
  const minted = await insertKey(
    tx,
    {
      organizationId: k.organizationId,
      environment: k.environment,
      name: k.name,
      scopes: k.scopes,
      rateLimit: k.rateLimit,
      metadata: k.metadata,
      expiresAt: null,
      predecessorId: k.id,
    },
    now,
  );
  await tx.rotation.update({ where: { id: rotation.id }, data: { successorId: minted.key.id, updatedAt: now } });
  return { minted, event: keyCreatedEvent(actor, minted.key, rotation.id, reason) };
}

/**
 * Reveals the new key of a rotation in grace: the successor is minted now, so
 * nothing reversible is ever stored, and its full key is returned this once.
 * A second reveal is a conflict (re-roll if it was lost). The reveal is the
 * successor's `key.created` event, by the customer who revealed it.
 */
export async function revealSuccessor(input: z.input<typeof revealSuccessorSchema>, { actor, now, scope = {} }: ScopedContext) {
  const data = parseInput(revealSuccessorSchema, input);
  return inTransaction(async (tx) => {
    const rotation = await lockRotationInGrace(tx, data.rotationId, now, scope);
    if (rotation.successor) {
      throw new ConflictError(
        `The new key ${rotation.successor.prefix}… was already revealed and is never shown twice. If it was lost, re-roll it: a new one replaces it and the deadline stays the same.`,
      );
    }
    const { minted, event } = await mintSuccessor(tx, rotation, { actor, now }, `successor of ${rotation.key.prefix}, revealed`);
    await recordEvents(tx, [event], now);
    return { rotationId: rotation.id, successor: { id: minted.key.id, prefix: minted.key.prefix }, secret: minted.secret, graceEndsAt: rotation.graceEndsAt };
  });
}

/**
 * The key of a rotation in grace (not an emergency one) obtains the successor
 * nobody has revealed yet, in the caller's transaction: the agent's way in
 * when a scheduled rotation started before it came round
 * (lib/rotations/self-rotate.ts). Null when the successor was already issued.
 */
export async function issueSuccessorToKey(tx: Tx, rotationId: string, { actor, now }: Context) {
  const rotation = await lockRotationInGrace(tx, rotationId, now, {});
  if (rotation.successor || rotation.kind === "emergency") return null;
  const { minted, event } = await mintSuccessor(
    tx,
    rotation,
    { actor, now },
    `successor of ${rotation.key.prefix}, obtained by the key itself (self-rotation)`,
  );
  await recordEvents(tx, [event], now);
  const updated = await tx.rotation.findUniqueOrThrow({ where: { id: rotation.id }, select: rotationViewSelect });
  return { rotation: updated, successorSecret: minted.secret };
}

/**
 * Replaces a lost new key during grace: the lost successor is revoked at once
 * and a new one minted and returned once. The deadline does not move.
 */
export async function rerollSuccessor(input: z.input<typeof rerollSuccessorSchema>, { actor, now, scope = {} }: ScopedContext) {
  const data = parseInput(rerollSuccessorSchema, input);
  return inTransaction(async (tx) => {
    const rotation = await lockRotationInGrace(tx, data.rotationId, now, scope);
    const lost = rotation.successor;
    if (!lost) throw new ConflictError("The new key of this rotation has not been revealed yet: reveal it instead.");
    await lockKey(tx, lost.id);
    const why = data.reason || "the new key was lost";
    const events: LifecycleEvent[] = [];
    if (lost.status !== "revoked") {
      await tx.apiKey.update({ where: { id: lost.id }, data: { status: "revoked", revokedAt: now } });
      events.push({
        actor,
        type: "key.revoked",
        key: { id: lost.id, prefix: lost.prefix, organizationId: rotation.key.organizationId, environment: rotation.key.environment },
        rotationId: rotation.id,
        reason: `re-rolled: ${why}`,
        before: { status: lost.status },
        after: { status: "revoked" },
      });
    }
    const { minted, event } = await mintSuccessor(
      tx,
      rotation,
      { actor, now },
      `re-rolled successor of ${rotation.key.prefix} (replaces ${lost.prefix}): ${why}`,
    );
    events.push(event);
    await recordEvents(tx, events, now);
    return {
      rotationId: rotation.id,
      revoked: { id: lost.id, prefix: lost.prefix },
      successor: { id: minted.key.id, prefix: minted.key.prefix },
      secret: minted.secret,
      graceEndsAt: rotation.graceEndsAt,
    };
  });
}
