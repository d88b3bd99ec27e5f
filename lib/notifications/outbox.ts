import "server-only";
import type { Tx } from "../db";
import { bulkInsert } from "../bulk";

/** What DOMAIN.md says a customer is told: ahead, at the start, reminders, revoked. */
export type NotificationKind = "rotation_notice" | "rotation_started" | "emergency_rotation" | "rotation_reminder" | "key_revoked";

export interface NotificationInput {
  kind: NotificationKind;
  organizationId: string;
  recipients: string[];
  keyId?: string;
  rotationId?: string;
  /** Names the event, so the same event and recipient is written once however often it is enqueued. */
  eventRef: string;
  /** What the email needs: prefixes, deadlines, never a key. */
  payload: Record<string, string | number | boolean | null>;
}

/**
 * Writes notifications to the outbox inside the caller's transaction; the
 * cron delivers them. A repeat for the same event and recipient is skipped
 * by the unique idempotency key.
 */
export async function enqueueNotifications(tx: Tx, items: NotificationInput[], now: Date): Promise<number> {
  const data = items.flatMap((item) =>
    [...new Set(item.recipients.map((r) => r.toLowerCase()))].map((recipient) => ({
      id: crypto.randomUUID(),
      kind: item.kind,
      organizationId: item.organizationId,
      keyId: item.keyId ?? null,
      rotationId: item.rotationId ?? null,
      recipient,
      idempotencyKey: `${item.kind}:${item.eventRef}:${recipient}`,
      payload: item.payload,
      nextAttemptAt: now,
      createdAt: now,
    })),
  );
  if (data.length === 0) return 0;
  return bulkInsert(
    tx,
    "notifications",
    { id: "text", kind: "text", organizationId: "text", keyId: "text", rotationId: "text", recipient: "text", idempotencyKey: "text", payload: "jsonb", nextAttemptAt: "timestamptz", createdAt: "timestamptz" },
    data,
    { onConflictDoNothing: "idempotencyKey" },
  );
}
