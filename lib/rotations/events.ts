import "server-only";
import { Prisma, type Tx } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvents, type AuditInput } from "../audit/write";
import { enqueueNotifications, rotationPayload, type NotificationKind } from "../notifications/outbox";
import { raiseAlerts, type AlertInput } from "../alerts/raise";
import { enqueueWebhooks, type WebhookEvent } from "../webhooks/enqueue";
import { EFFECTIVE_POLICY_SQL } from "../policies/sql";
import type { WebhookEventType } from "../webhooks/schemas";

/**
 * The lifecycle events of keys and rotations: what the audit trail records
 * and what webhooks deliver, under one name each (the list is
 * WEBHOOK_EVENT_TYPES, docs/webhooks.md says what each carries).
 * `alert.raised` is written by lib/alerts/raise.ts, the one owner of alerts,
 * which this module calls.
 */
export type LifecycleEventType = WebhookEventType;

/** The customer's email about an event: the template, and the dates it tells. */
export interface EventEmail {
  kind: NotificationKind;
  /** Names the event for the outbox's idempotency key; the rotation's id unless the same rotation sends it again (a postponement, a reminder). */
  eventRef?: string;
  rotationKind: string;
  scheduledAt: Date;
  graceEndsAt: Date;
  reason?: string | null;
  postponements?: number;
  lastUsedAt?: Date | null;
}

/** An alert the event raises for staff (deduplicated by lib/alerts/raise.ts). */
export type EventAlert = Pick<AlertInput, "kind" | "severity" | "message" | "dedupeKey">;

export interface LifecycleEvent {
  type: Exclude<LifecycleEventType, "alert.raised">;
  actor: Actor;
  key: { id: string; prefix: string; organizationId: string; environment: string };
  rotationId?: string | null;
  reason?: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  email?: EventEmail;
  alert?: EventAlert;
}

/**
 * Records lifecycle events in the caller's transaction, so each commits with
 * the change it describes or not at all: its audit event, the customer's
 * email (to the organization's contacts, with the policy's postponement
 * terms on a notice), the alert it raises, and a webhook delivery for every
 * endpoint that subscribes to it. Set-based: a batch of 5,000 events is a
 * few statements. The audit append comes last but for the alerts (whose own
 * audit events follow), so the chain's lock is held briefly.
 */
export async function recordEvents(tx: Tx, events: LifecycleEvent[], now: Date): Promise<void> {
  if (events.length === 0) return;
  const mailed = events.filter((e) => e.email);
  if (mailed.length) {
    const orgs = await organizationsForEmail(tx, [...new Set(mailed.map((e) => e.key.organizationId))]);
    await enqueueNotifications(
      tx,
      mailed.map((e) => {
        const email = e.email!;
        const org = orgs.get(e.key.organizationId)!;
        return {
          kind: email.kind,
          organizationId: e.key.organizationId,
          recipients: org.contactEmails,
          keyId: e.key.id,
          rotationId: e.rotationId ?? undefined,
          eventRef: email.eventRef ?? e.rotationId ?? e.key.id,
          payload: rotationPayload({
            key: e.key,
            organization: org,
            kind: email.rotationKind,
            scheduledAt: email.scheduledAt,
            graceEndsAt: email.graceEndsAt,
            reason: email.reason !== undefined ? email.reason : e.reason,
            // Every notice says how the customer may postpone, whoever scheduled it (the policy, a person, a bulk action).
            policy: email.kind === "rotation_notice" ? org : undefined,
            postponements: email.postponements,
            lastUsedAt: email.lastUsedAt,
          }),
        };
      }),
      now,
    );
  }
  await enqueueWebhooks(tx, events.map(webhookEvent), now);
  await appendAuditEvents(tx, events.map(auditEvent), now);
  const alerting = events.filter((e) => e.alert);
  // raiseAlerts audits each alert as raised by one actor: grouped by the events' actors (one, in practice).
  for (const actor of new Set(alerting.map((e) => e.actor))) {
    await raiseAlerts(
      tx,
      alerting
        .filter((e) => e.actor === actor)
        .map((e) => ({ ...e.alert!, organizationId: e.key.organizationId, keyId: e.key.id, rotationId: e.rotationId ?? null, keyFingerprint: e.key.prefix })),
      now,
      actor,
    );
  }
}

/** One event; see recordEvents. */
export function recordEvent(tx: Tx, event: LifecycleEvent, now: Date): Promise<void> {
  return recordEvents(tx, [event], now);
}

function auditEvent(e: LifecycleEvent): AuditInput {
  return {
    actor: e.actor,
    action: e.type,
    organizationId: e.key.organizationId,
    keyId: e.key.id,
    keyFingerprint: e.key.prefix,
    rotationId: e.rotationId ?? null,
    reason: e.reason ?? null,
    before: e.before ?? null,
    after: e.after ?? null,
  };
}

/** What a webhook says of an event: ids and the display prefix, never a key. */
function webhookEvent(e: LifecycleEvent): WebhookEvent {
  return {
    type: e.type,
    organizationId: e.key.organizationId,
    keyId: e.key.id,
    data: {
      organizationId: e.key.organizationId,
      keyId: e.key.id,
      keyPrefix: e.key.prefix,
      environment: e.key.environment,
      rotationId: e.rotationId ?? null,
      actor: e.actor,
      reason: e.reason ?? null,
      before: e.before ?? null,
      after: e.after ?? null,
    },
  };
}

async function organizationsForEmail(tx: Tx, ids: string[]) {
  const rows = await tx.$queryRaw<{ id: string; name: string; contactEmails: string[]; timeZone: string; postponeDays: number; maxPostponements: number }[]>`
    SELECT o.id, o.name, COALESCE(o."contactEmails", '{}') AS "contactEmails", o."timeZone", ep."postponeDays", ep."maxPostponements"
    FROM organizations o JOIN ${Prisma.raw(EFFECTIVE_POLICY_SQL)} ep ON ep."organizationId" = o.id
    WHERE o.id = ANY(${ids}::text[])`;
  return new Map(rows.map((r) => [r.id, r]));
}
