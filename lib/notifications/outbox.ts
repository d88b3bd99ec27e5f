import "server-only";
import type { Tx } from "../db";
import { bulkInsert } from "../bulk";

/** What DOMAIN.md says a customer is told: ahead, at the start, reminders, revoked. */
export type NotificationKind =
  | "rotation_notice"
  | "rotation_started"
  | "emergency_rotation"
  | "rotation_reminder"
  | "key_revoked"
  | "alert_digest"
  | "monthly_report";

/** What a notification's email is rendered from: plain values, never a key. */
export type NotificationPayload = Record<string, string | number | boolean | null | Record<string, string>[]>;

export interface NotificationInput {
  kind: NotificationKind;
  /** Null for staff notifications (the alert digest). */
  organizationId: string | null;
  recipients: string[];
  keyId?: string;
  rotationId?: string;
  /** Names the event, so the same event and recipient is written once however often it is enqueued. */
  eventRef: string;
  /** What the email needs: prefixes, deadlines, never a key. */
  payload: NotificationPayload;
}

/** The payload of every rotation email, built in one place for every writer of rotation events. */
export function rotationPayload(r: {
  key: { prefix: string; environment: string };
  organization: { name: string; timeZone: string };
  kind: string;
  scheduledAt: Date;
  graceEndsAt: Date;
  reason?: string | null;
  /** For the notice: how a customer may postpone. */
  policy?: { postponeDays: number; maxPostponements: number };
  postponements?: number;
  lastUsedAt?: Date | null;
}): NotificationPayload {
  return {
    keyPrefix: r.key.prefix,
    environment: r.key.environment,
    organizationName: r.organization.name,
    timeZone: r.organization.timeZone,
    kind: r.kind,
    reason: r.reason ?? null,
    scheduledAt: r.scheduledAt.toISOString(),
    graceEndsAt: r.graceEndsAt.toISOString(),
    ...(r.policy ? { postponeDays: r.policy.postponeDays, postponementsLeft: Math.max(0, r.policy.maxPostponements - (r.postponements ?? 0)) } : {}),
    ...(r.lastUsedAt ? { lastUsedAt: r.lastUsedAt.toISOString() } : {}),
  };
}

/**
 * Writes notifications to the outbox inside the caller's transaction; the
 * cron delivers them. A repeat for the same event and recipient is skipped
 * by the unique idempotency key.
 */
/** What makes a notification one of a kind: its kind, the event it is about, and its recipient (lower-cased). */
export function notificationKey(kind: NotificationKind, eventRef: string, recipient: string): string {
  return `${kind}:${eventRef}:${recipient.toLowerCase()}`;
}

export async function enqueueNotifications(tx: Tx, items: NotificationInput[], now: Date): Promise<number> {
  const data = items.flatMap((item) =>
    [...new Set(item.recipients.map((r) => r.toLowerCase()))].map((recipient) => ({
      id: crypto.randomUUID(),
      kind: item.kind,
      organizationId: item.organizationId,
      keyId: item.keyId ?? null,
      rotationId: item.rotationId ?? null,
      recipient,
      idempotencyKey: notificationKey(item.kind, item.eventRef, recipient),
      payload: item.payload,
      nextAttemptAt: now,
      createdAt: now,
    })),
  );
  if (data.length === 0) return 0;
  return bulkInsert(
    tx,
    "notifications",
    {
      id: "text",
      kind: "text",
      organizationId: "text",
      keyId: "text",
      rotationId: "text",
      recipient: "text",
      idempotencyKey: "text",
      payload: "jsonb",
      nextAttemptAt: "timestamptz",
      createdAt: "timestamptz",
    },
    data,
    { onConflictDoNothing: "idempotencyKey" },
  );
}
