import "server-only";
import type { z } from "zod";
import { inTransaction, type Tx } from "../db";
import { outOfScope } from "../auth/scope";
import type { NotificationKind } from "../notifications/outbox";
import { recordEvents, type LifecycleEvent } from "./events";
import { getEffectivePolicy } from "../policies/queries";
import { insertKey, keyCreatedEvent } from "../keys/mutations";
import { keyViewSelect } from "../keys/views";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import {
  closeRotationSchema,
  postponeRotationSchema,
  rotationRequestSchema,
  type CloseRotationRequest,
  type PostponeRotationRequest,
  type RotationRequest,
} from "./schemas";
import { rotationViewSelect } from "./views";
import { lockKey, lockRotation } from "../locks";
import { latestAllowedStart, latestDeadline } from "./limits";
import type { Context, ScopedContext } from "../context";

const HOUR_MS = 3_600_000;

export type RotationView = Awaited<ReturnType<typeof loadRotation>>;

function loadRotation(tx: Tx, id: string) {
  return tx.rotation.findUniqueOrThrow({ where: { id }, select: rotationViewSelect });
}

/**
 * Starts or schedules a rotation of an active key: `scheduled` at a future
 * time, `manual` now, `emergency` now with the policy's short grace (0
 * revokes the old key at once; a reason is required). The successor keeps the
 * old key's organization, environment, scopes and rate limit; with `deliver:
 * "response"` it is minted now and its secret returned once, else the
 * customer mints it by revealing it in the portal. One transaction with its
 * audit events and notifications; a second open rotation for the same key is
 * a ConflictError, enforced by the unique `openKeyId`.
 */
export async function createRotation(input: RotationRequest, { actor, now, scope = {} }: ScopedContext) {
  const data = parseInput(rotationRequestSchema, input);
  if (data.kind === "scheduled" && data.scheduledAt! <= now) {
    throw new ValidationError("scheduledAt: must be in the future", "scheduledAt");
  }
  return inTransaction((tx) => openRotation(tx, data, { actor, now, scope }), "This key already has an open rotation: someone else rotated it first.");
}

/** createRotation's work inside the caller's transaction, on validated input. */
export async function openRotation(tx: Tx, data: z.output<typeof rotationRequestSchema>, { actor, now, scope = {} }: ScopedContext) {
  if (!(await lockKey(tx, data.keyId))) throw new NotFoundError("No such key.");
  const key = await tx.apiKey.findUniqueOrThrow({
    where: { id: data.keyId },
    select: keyViewSelect,
  });
  if (outOfScope(scope, key.organizationId)) throw new NotFoundError("No such key.");
  const open = await tx.rotation.findUnique({ where: { openKeyId: key.id }, select: { id: true, state: true } });
  if (open && data.kind !== "emergency") throw new ConflictError(`Key ${key.prefix} already has an open rotation (${open.state}). Cancel or finish it first.`);
  // An emergency always wins: whatever is under way for the key (a schedule,
  // or a rotation in grace whose successor someone may already hold) gives way.
  if (data.kind === "emergency") {
    await supersedeOpenRotation(tx, key.id, { actor, now }, `superseded by an emergency rotation${data.reason ? `: ${data.reason}` : ""}`, "family");
    key.status = (await tx.apiKey.findUniqueOrThrow({ where: { id: key.id }, select: { status: true } })).status;
  }
  if (key.status !== "active") throw new ConflictError(`Key ${key.prefix} is ${key.status}; only an active key can be rotated.`);

  const policy = await getEffectivePolicy(tx, key.organizationId);
  const grace = data.gracePeriodHours ?? (data.kind === "emergency" ? policy.emergencyGraceHours : policy.gracePeriodHours);
  const startsNow = data.kind !== "scheduled";
  const startAt = startsNow ? now : data.scheduledAt!;
  if (!startsNow) {
    // A far-off schedule would keep the key alive past its policy while counting as "rotation scheduled".
    const latest = latestAllowedStart(key.createdAt, policy, grace);
    if (startAt > latest) {
      throw new ValidationError(
        latest <= now
          ? `scheduledAt: key ${key.prefix} had to start rotating by ${latest.toISOString()} (max age plus the policy's postponements, less ${grace} h of grace): rotate it now instead`
          : `scheduledAt: must be no later than ${latest.toISOString()} for key ${key.prefix} (created ${key.createdAt.toISOString()}, max age ${policy.maxAgeDays} days plus ${policy.maxPostponements} × ${policy.postponeDays} days of postponement, less ${grace} h of grace)`,
        "scheduledAt",
      );
    }
  }
  const graceEndsAt = new Date(startAt.getTime() + grace * HOUR_MS);
  const state = !startsNow ? "scheduled" : grace === 0 ? "completed" : "grace";

  const created = await tx.rotation.create({
    data: {
      keyId: key.id,
      openKeyId: state === "completed" ? null : key.id,
      kind: data.kind,
      state,
      deliver: data.deliver,
      reason: data.reason ?? null,
      gracePeriodHours: grace,
      scheduledAt: startAt,
      startedAt: startsNow ? now : null,
      graceEndsAt,
      completedAt: state === "completed" ? now : null,
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
    },
    select: { id: true },
  });

  const base = { actor, key, rotationId: created.id, reason: data.reason ?? null };
  const email = (kind: NotificationKind) => ({ kind, rotationKind: data.kind, scheduledAt: startAt, graceEndsAt });
  const events: LifecycleEvent[] = [
    {
      ...base,
      type: startsNow ? "rotation.started" : "rotation.scheduled",
      after: { kind: data.kind, state, scheduledAt: startAt, graceEndsAt, gracePeriodHours: grace, deliver: data.deliver },
      email: email(data.kind === "scheduled" ? "rotation_notice" : data.kind === "emergency" ? "emergency_rotation" : "rotation_started"),
    },
  ];

  let successorSecret: string | undefined;
  if (data.deliver === "response") {
    const minted = await insertKey(
      tx,
      {
        organizationId: key.organizationId,
        environment: key.environment,
        name: key.name,
        scopes: key.scopes,
        rateLimit: key.rateLimit,
        metadata: key.metadata,
        expiresAt: null,
        predecessorId: key.id,
      },
      now,
    );
    await tx.rotation.update({ where: { id: created.id }, data: { successorId: minted.key.id } });
    successorSecret = minted.secret;
    events.push(keyCreatedEvent(actor, minted.key, created.id, `successor of ${key.prefix}`));
  }
  if (state === "grace") {
    await tx.apiKey.update({ where: { id: key.id }, data: { status: "expiring" } });
  } else if (state === "completed") {
    await tx.apiKey.update({ where: { id: key.id }, data: { status: "revoked", revokedAt: now } });
    events.push({ ...base, type: "key.revoked", before: { status: "active" }, after: { status: "revoked" }, email: email("key_revoked") });
  }
  await recordEvents(tx, events, now);

  return { rotation: await loadRotation(tx, created.id), successorSecret };
}

/** Schedules a rotation at a future time. See createRotation. */
export function scheduleRotation(input: Omit<RotationRequest, "kind">, { actor, now }: Context) {
  return createRotation({ ...input, kind: "scheduled" }, { actor, now });
}

/** Rotates a key now with the policy's grace period. See createRotation. */
export function rotateNow(input: Omit<RotationRequest, "kind" | "scheduledAt">, { actor, now, scope = {} }: ScopedContext) {
  return createRotation({ ...input, kind: "manual" }, { actor, now, scope });
}

/** Rotates a possibly leaked key now, with the policy's emergency grace or none. See createRotation. */
export function emergencyRotate(input: Omit<RotationRequest, "kind" | "scheduledAt">, { actor, now }: Context) {
  return createRotation({ ...input, kind: "emergency" }, { actor, now });
}

async function closeRotation(input: CloseRotationRequest, { actor, now }: Context, to: "cancelled" | "rolled_back") {
  const data = parseInput(closeRotationSchema, input);
  return inTransaction((tx) => closeRotationInTx(tx, data, { actor, now }, to));
}

/**
 * Cancels (from scheduled) or rolls back (from grace) a rotation inside the
 * caller's transaction: the rotation row is locked first, then its key; a
 * successor already minted for it is revoked. Audited.
 */
export async function closeRotationInTx(tx: Tx, data: { rotationId: string; reason?: string }, { actor, now }: Context, to: "cancelled" | "rolled_back") {
  const from = to === "cancelled" ? "scheduled" : "grace";
  if (!(await lockRotation(tx, data.rotationId))) throw new NotFoundError("No such rotation.");
  const rotation = await tx.rotation.findUniqueOrThrow({
    where: { id: data.rotationId },
    select: { ...rotationViewSelect, key: { select: { id: true, prefix: true, organizationId: true, environment: true, status: true } } },
  });
  if (rotation.state !== from) {
    const verb = to === "cancelled" ? "cancelled: only a scheduled rotation can be cancelled" : "rolled back: only a rotation in grace can be rolled back";
    throw new ConflictError(`This rotation is ${rotation.state.replace("_", " ")} and cannot be ${verb}.`);
  }
  await lockKey(tx, rotation.keyId);
  await tx.rotation.update({
    where: { id: rotation.id },
    data: { state: to, openKeyId: null, updatedAt: now, ...(to === "cancelled" ? { cancelledAt: now } : { rolledBackAt: now }) },
  });
  const base = { actor, key: rotation.key, rotationId: rotation.id, reason: data.reason ?? null };
  const events: LifecycleEvent[] = [
    { ...base, type: to === "cancelled" ? "rotation.cancelled" : "rotation.rolled_back", before: { state: from }, after: { state: to } },
  ];
  if (to === "rolled_back" && rotation.key.status === "expiring") {
    await tx.apiKey.update({ where: { id: rotation.keyId }, data: { status: "active" } });
    events.push({ ...base, type: "key.reactivated", before: { status: "expiring" }, after: { status: "active" } });
  }
  if (rotation.successorId) {
    const successor = await tx.apiKey.update({
      where: { id: rotation.successorId },
      data: { status: "revoked", revokedAt: now },
      select: { id: true, prefix: true, organizationId: true, environment: true },
    });
    events.push({ ...base, type: "key.revoked", key: successor, before: { status: "active" }, after: { status: "revoked" } });
  }
  await recordEvents(tx, events, now);
  return loadRotation(tx, rotation.id);
}

/**
 * The one place an open rotation of `keyId` gives way to something else,
 * for an emergency rotation, a revocation and a self-rotation alike:
 * - `family` (an emergency, a revocation of a possibly leaked key): the open
 *   rotation is closed (a schedule cancelled, a rotation in grace rolled
 *   back, its successor revoked), and every key minted from it since — its
 *   successor, that successor's successors — is revoked with their own open
 *   rotations, since whoever holds the leaked key may have obtained them
 *   (self-rotation);
 * - `close` (the key is being revoked, or rotates itself): a schedule is
 *   cancelled, a rotation in grace completed (its successor carries on).
 * Returns the keys revoked here and the rotation closed, if any.
 */
export async function supersedeOpenRotation(
  tx: Tx,
  keyId: string,
  { actor, now }: Context,
  reason: string,
  mode: "family" | "close",
): Promise<{ revoked: string[]; closed: { id: string; state: string } | null }> {
  const open = await tx.rotation.findUnique({ where: { openKeyId: keyId }, select: { id: true, state: true } });
  if (mode === "close") {
    if (!open) return { revoked: [], closed: null };
    if (open.state === "scheduled") {
      await closeRotationInTx(tx, { rotationId: open.id, reason }, { actor, now }, "cancelled");
      return { revoked: [], closed: { id: open.id, state: "cancelled" } };
    }
    await lockRotation(tx, open.id);
    const key = await tx.apiKey.findUniqueOrThrow({ where: { id: keyId }, select: { id: true, prefix: true, organizationId: true, environment: true } });
    await tx.rotation.update({ where: { id: open.id }, data: { state: "completed", openKeyId: null, completedAt: now, updatedAt: now } });
    await recordEvents(
      tx,
      [{ actor, type: "rotation.completed", key, rotationId: open.id, reason, before: { state: open.state }, after: { state: "completed" } }],
      now,
    );
    return { revoked: [], closed: { id: open.id, state: "completed" } };
  }
  // Closing a rotation revokes its successor: those count among the keys revoked.
  const revoked = new Set<string>();
  const close = async (rotation: { id: string; state: string } | null) => {
    if (!rotation) return;
    const closed = await closeRotationInTx(
      tx,
      { rotationId: rotation.id, reason },
      { actor, now },
      rotation.state === "scheduled" ? "cancelled" : "rolled_back",
    );
    if (closed.successorId) revoked.add(closed.successorId);
  };
  await close(open);
  // Every descendant: closing the rotation above revoked its own successor, but
  // that successor's rotations and later generations remain.
  const family = await tx.$queryRaw<{ id: string; prefix: string; organizationId: string; environment: string; status: string }[]>`
    WITH RECURSIVE family AS (
      SELECT id FROM api_keys WHERE "predecessorId" = ${keyId}
      UNION
      SELECT k.id FROM api_keys k JOIN family f ON k."predecessorId" = f.id
    )
    SELECT k.id, k.prefix, k."organizationId", k.environment::text AS environment, k.status::text AS status FROM api_keys k JOIN family f ON f.id = k.id
    ORDER BY k."createdAt"`;
  for (const k of family) {
    await lockKey(tx, k.id);
    await close(await tx.rotation.findUnique({ where: { openKeyId: k.id }, select: { id: true, state: true } }));
    const { count } = await tx.apiKey.updateMany({ where: { id: k.id, status: { in: ["active", "expiring"] } }, data: { status: "revoked", revokedAt: now } });
    if (count) {
      revoked.add(k.id);
      await recordEvents(tx, [{ actor, type: "key.revoked", key: k, reason, before: { status: k.status }, after: { status: "revoked" } }], now);
    }
  }
  return { revoked: [...revoked], closed: open && { id: open.id, state: open.state === "scheduled" ? "cancelled" : "rolled_back" } };
}

/** Cancels a rotation that has not started yet; a successor already minted for it is revoked. */
export function cancelRotation(input: CloseRotationRequest, { actor, now }: Context) {
  return closeRotation(input, { actor, now }, "cancelled");
}

/** Rolls back a rotation in grace: the old key is active again and the successor, if minted, revoked. */
export function rollbackRotation(input: CloseRotationRequest, { actor, now }: Context) {
  return closeRotation(input, { actor, now }, "rolled_back");
}

const DAY_MS = 86_400_000;

/**
 * Postpones a scheduled rotation by its policy's postpone period, at most the
 * policy's number of times, and never so far that the old key's deadline
 * passes max age + (postponements allowed × postpone period): a postponement
 * that would go further stops at that limit, and one with no room left is
 * refused. `organizationId` scopes a customer to their own organization's
 * keys (another organization's rotation is "not found"). Audited, and the
 * contacts get a new notice with the new dates.
 */
export async function postponeRotation(input: PostponeRotationRequest, { actor, now, scope = {} }: ScopedContext) {
  const data = parseInput(postponeRotationSchema, input);
  return inTransaction(async (tx) => {
    if (!(await lockRotation(tx, data.rotationId))) throw new NotFoundError("No such rotation.");
    const rotation = await tx.rotation.findUniqueOrThrow({
      where: { id: data.rotationId },
      select: {
        ...rotationViewSelect,
        postponements: true,
        key: { select: { id: true, prefix: true, environment: true, organizationId: true, createdAt: true } },
      },
    });
    if (outOfScope(scope, rotation.key.organizationId)) throw new NotFoundError("No such rotation.");
    if (rotation.state !== "scheduled")
      throw new ConflictError(`This rotation is ${rotation.state.replace("_", " ")}; only a rotation that has not started can be postponed.`);
    const policy = await getEffectivePolicy(tx, rotation.key.organizationId);
    if (rotation.postponements >= policy.maxPostponements) {
      throw new ConflictError(`This rotation was already postponed ${rotation.postponements} time(s), the most the ${policy.name} policy allows.`);
    }
    const graceMs = rotation.gracePeriodHours * HOUR_MS;
    const wanted = new Date(rotation.scheduledAt.getTime() + policy.postponeDays * DAY_MS);
    const scheduledAt = new Date(Math.min(wanted.getTime(), latestAllowedStart(rotation.key.createdAt, policy, rotation.gracePeriodHours).getTime()));
    if (scheduledAt.getTime() <= rotation.scheduledAt.getTime()) {
      throw new ConflictError(
        `This key may not be postponed further: its old key must stop working by ${latestDeadline(rotation.key.createdAt, policy).toISOString()} (max age plus the policy's postponement allowance).`,
      );
    }
    const graceEndsAt = new Date(scheduledAt.getTime() + graceMs);
    await tx.rotation.update({ where: { id: rotation.id }, data: { scheduledAt, graceEndsAt, postponements: { increment: 1 }, updatedAt: now } });
    const postponements = rotation.postponements + 1;
    await recordEvents(
      tx,
      [
        {
          actor,
          type: "rotation.postponed",
          key: rotation.key,
          rotationId: rotation.id,
          reason: data.reason ?? null,
          before: { scheduledAt: rotation.scheduledAt, graceEndsAt: rotation.graceEndsAt, postponements: rotation.postponements },
          after: { scheduledAt, graceEndsAt, postponements, limitedByMaxAge: scheduledAt.getTime() < wanted.getTime() },
          email: {
            kind: "rotation_notice",
            eventRef: `${rotation.id}:postponed:${postponements}`,
            rotationKind: "scheduled",
            scheduledAt,
            graceEndsAt,
            postponements,
          },
        },
      ],
      now,
    );
    return loadRotation(tx, rotation.id);
  });
}
