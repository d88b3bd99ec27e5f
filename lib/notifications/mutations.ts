import "server-only";
import { inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { ConflictError, NotFoundError } from "../errors";
import { parseInput } from "../validation";
import { notificationIdSchema, type NotificationIdInput } from "./schemas";
import type { Context } from "../context";

/**
 * Puts a failed email back in the queue for the next delivery (attempts start
 * over), audited. Its idempotency key is unchanged, so it still goes at most
 * once per event and recipient.
 */
export async function retryNotification(input: NotificationIdInput, { actor, now }: Context) {
  const { notificationId } = parseInput(notificationIdSchema, input);
  return inTransaction(async (tx) => {
    const [row] = await tx.$queryRaw<
      { id: string; status: string; kind: string; recipient: string; organizationId: string | null; keyId: string | null; rotationId: string | null }[]
    >`
      SELECT id, status::text AS status, kind, recipient, "organizationId", "keyId", "rotationId" FROM notifications WHERE id = ${notificationId} FOR UPDATE`;
    if (!row) throw new NotFoundError("No such email.");
    if (row.status !== "failed") throw new ConflictError(`This email is ${row.status}; only a failed email can be retried.`);
    await tx.notification.update({ where: { id: row.id }, data: { status: "pending", attempts: 0, nextAttemptAt: now } });
    await appendAuditEvent(
      tx,
      {
        actor,
        action: "notification.retried",
        organizationId: row.organizationId,
        keyId: row.keyId,
        rotationId: row.rotationId,
        before: { status: "failed", kind: row.kind, recipient: row.recipient },
        after: { status: "pending" },
      },
      now,
    );
  });
}
