import "server-only";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError } from "../errors";
import { alertActionSchema, type AlertActionInput } from "./schemas";

async function moveAlert(input: AlertActionInput, actor: Actor, now: Date, to: "acknowledged" | "resolved") {
  const { alertId, note } = parseInput(alertActionSchema, input);
  return inTransaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM alerts WHERE id = ${alertId} FOR UPDATE`;
    if (!locked) throw new NotFoundError("No such alert.");
    const alert = await tx.alert.findUniqueOrThrow({ where: { id: alertId } });
    if (alert.status === "resolved") throw new ConflictError("This alert is already resolved.");
    if (to === "acknowledged" && alert.status === "acknowledged") throw new ConflictError("This alert is already acknowledged.");
    const updated = await tx.alert.update({
      where: { id: alertId },
      // A resolved alert frees its dedupe key, so the same condition can raise a new one.
      data: to === "acknowledged" ? { status: to, acknowledgedAt: now, acknowledgedBy: actor } : { status: to, resolvedAt: now, dedupeKey: null },
    });
    await appendAuditEvent(
      tx,
      { actor, action: `alert.${to}`, organizationId: alert.organizationId, keyId: alert.keyId, rotationId: alert.rotationId, reason: note ?? null, before: { status: alert.status, kind: alert.kind }, after: { status: to } },
      now,
    );
    return updated;
  });
}

/** Marks an open alert as seen by someone who is on it. */
export function acknowledgeAlert(input: AlertActionInput, actor: Actor, now: Date) {
  return moveAlert(input, actor, now, "acknowledged");
}

/** Closes an alert. */
export function resolveAlert(input: AlertActionInput, actor: Actor, now: Date) {
  return moveAlert(input, actor, now, "resolved");
}
