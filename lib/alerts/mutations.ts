import "server-only";
import { Prisma } from "../generated/prisma/client";
import { inTransaction, type Tx } from "../db";
import { appendAuditEvents } from "../audit/write";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import {
  alertActionSchema,
  bulkAlertActionSchema,
  undoAcknowledgeSchema,
  type AlertActionInput,
  type AlertFilter,
  type BulkAlertActionInput,
  type UndoAcknowledgeInput,
} from "./schemas";
import type { Context } from "../context";

type AlertState = "open" | "acknowledged" | "resolved";

/** The states each change moves an alert from: the one rule per change, for one alert or many. */
const MOVES_FROM: Record<"acknowledged" | "resolved" | "open", AlertState[]> = {
  acknowledged: ["open"],
  resolved: ["open", "acknowledged"],
  // Only the undo of an acknowledgement reopens an alert.
  open: ["acknowledged"],
};

interface LockedAlert {
  id: string;
  status: AlertState;
  kind: string;
  organizationId: string | null;
  keyId: string | null;
  rotationId: string | null;
}

/** The WHERE of an alert filter (the inbox's), for a bulk change of "all matching". */
export function alertFilterSql(filter: AlertFilter): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`status = ${filter.state}::"AlertStatus"`];
  if (filter.kind) parts.push(Prisma.sql`kind = ${filter.kind}`);
  if (filter.severity) parts.push(Prisma.sql`severity = ${filter.severity}`);
  if (filter.organizationId) parts.push(Prisma.sql`"organizationId" = ${filter.organizationId}`);
  return Prisma.join(parts, " AND ");
}

/**
 * Moves the alerts `where` selects, among those in a state the change moves
 * from, to `to`: row locks, one UPDATE, and one audit event per alert
 * (`alert.<to>`, or `alert.reopened`) in the caller's transaction.
 * Returns the alerts it moved; the others are left as they were.
 */
async function moveAlerts(
  tx: Tx,
  where: Prisma.Sql,
  to: "acknowledged" | "resolved" | "open",
  { actor, now }: Context,
  note: string | null,
): Promise<LockedAlert[]> {
  const from = MOVES_FROM[to];
  const locked = await tx.$queryRaw<LockedAlert[]>`
    SELECT id, status::text AS status, kind, "organizationId", "keyId", "rotationId" FROM alerts
    WHERE (${where}) AND status::text = ANY(${from}::text[])
    ORDER BY id FOR UPDATE`;
  if (locked.length === 0) return [];
  const ids = locked.map((a) => a.id);
  if (to === "acknowledged") {
    await tx.$executeRaw`UPDATE alerts SET status = 'acknowledged', "acknowledgedAt" = ${now}, "acknowledgedBy" = ${actor} WHERE id = ANY(${ids}::text[])`;
  } else if (to === "resolved") {
    // A resolved alert frees its dedupe key, so the same condition can raise a new one.
    await tx.$executeRaw`UPDATE alerts SET status = 'resolved', "resolvedAt" = ${now}, "dedupeKey" = NULL WHERE id = ANY(${ids}::text[])`;
  } else {
    await tx.$executeRaw`UPDATE alerts SET status = 'open', "acknowledgedAt" = NULL, "acknowledgedBy" = NULL WHERE id = ANY(${ids}::text[])`;
  }
  await appendAuditEvents(
    tx,
    locked.map((a) => ({
      actor,
      action: to === "open" ? "alert.reopened" : `alert.${to}`,
      organizationId: a.organizationId,
      keyId: a.keyId,
      rotationId: a.rotationId,
      reason: note,
      before: { status: a.status, kind: a.kind },
      after: { status: to },
    })),
    now,
  );
  return locked;
}

async function moveAlert(input: AlertActionInput, { actor, now }: Context, to: "acknowledged" | "resolved") {
  const { alertId, note } = parseInput(alertActionSchema, input);
  return inTransaction(async (tx) => {
    const moved = await moveAlerts(tx, Prisma.sql`id = ${alertId}`, to, { actor, now }, note ?? null);
    if (moved.length === 0) {
      const alert = await tx.alert.findUnique({ where: { id: alertId }, select: { status: true } });
      if (!alert) throw new NotFoundError("No such alert.");
      throw new ConflictError(alert.status === "resolved" ? "This alert is already resolved." : "This alert is already acknowledged.");
    }
    return tx.alert.findUniqueOrThrow({ where: { id: alertId } });
  });
}

/** Marks an open alert as seen by someone who is on it. */
export function acknowledgeAlert(input: AlertActionInput, { actor, now }: Context) {
  return moveAlert(input, { actor, now }, "acknowledged");
}

/** Closes an alert. */
export function resolveAlert(input: AlertActionInput, { actor, now }: Context) {
  return moveAlert(input, { actor, now }, "resolved");
}

function bulkWhere(input: BulkAlertActionInput): Prisma.Sql {
  if ("alertIds" in input) return Prisma.sql`id = ANY(${input.alertIds}::text[])`;
  return alertFilterSql(input.filter);
}

/**
 * Acknowledges the selected alerts, or every alert matching a filter, in one
 * transaction, each audited. Alerts no longer open are left alone. Returns
 * the ids it acknowledged and the instant, which its undo names.
 */
export async function acknowledgeAlerts(input: BulkAlertActionInput, { actor, now }: Context): Promise<{ alertIds: string[]; at: Date }> {
  const data = parseInput(bulkAlertActionSchema, input);
  const moved = await inTransaction((tx) => moveAlerts(tx, bulkWhere(data), "acknowledged", { actor, now }, data.note ?? null));
  return { alertIds: moved.map((a) => a.id), at: now };
}

/** Resolves the selected alerts, or every alert matching a filter, in one transaction, each audited. */
export async function resolveAlerts(input: BulkAlertActionInput, { actor, now }: Context): Promise<{ alertIds: string[] }> {
  const data = parseInput(bulkAlertActionSchema, input);
  const moved = await inTransaction((tx) => moveAlerts(tx, bulkWhere(data), "resolved", { actor, now }, data.note ?? null));
  return { alertIds: moved.map((a) => a.id) };
}

/**
 * Undoes a bulk acknowledgement: reopens those of its alerts that are still
 * acknowledged by the same person at the same instant (nobody has moved
 * them since), each audited as `alert.reopened`. Returns how many.
 */
export async function undoAcknowledgeAlerts(input: UndoAcknowledgeInput, { actor, now }: Context): Promise<{ reopened: number }> {
  const { alertIds, at } = parseInput(undoAcknowledgeSchema, input);
  if (now.getTime() < at.getTime()) throw new ValidationError("at: must not be in the future", "at");
  const moved = await inTransaction((tx) =>
    moveAlerts(
      tx,
      Prisma.sql`id = ANY(${alertIds}::text[]) AND "acknowledgedBy" = ${actor} AND "acknowledgedAt" = ${at}`,
      "open",
      { actor, now },
      "undo of a bulk acknowledgement",
    ),
  );
  return { reopened: moved.length };
}
