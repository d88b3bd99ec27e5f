import "server-only";
import { randomBytes } from "node:crypto";
import type { Tx } from "../db";
import { bulkInsert } from "../bulk";
import { looksLikeFullKey } from "../audit/write";
import { slackMessage } from "./slack";

/** An event as a webhook carries it: the type, whose it is, and the data (ids and prefixes, never a key). */
export interface WebhookEvent {
  type: string;
  organizationId: string | null;
  keyId: string | null;
  data: Record<string, unknown>;
}

/** Only staff endpoints for every organization receive alerts: their messages are written for the API company. */
export const STAFF_ONLY_EVENTS = new Set(["alert.raised"]);

/** A delivery's id, the `webhook-id` of every attempt of it (the `msg_` prefix as Standard Webhooks' examples). */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString("hex")}`;
}

/** The body as sent and signed: `{ type, timestamp, data }` (the Standard Webhooks payload structure). */
export function webhookBody(event: Pick<WebhookEvent, "type" | "data">, now: Date): string {
  const body = JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: event.data });
  if (looksLikeFullKey(body)) throw new Error("refusing to put a full key in a webhook");
  return body;
}

const COLUMNS = {
  id: "text",
  endpointId: "text",
  eventType: "text",
  body: "text",
  organizationId: "text",
  keyId: "text",
  nextAttemptAt: "timestamptz",
  createdAt: "timestamptz",
} as const;

/**
 * Writes a delivery for every endpoint subscribed to each event, in the
 * caller's transaction (the cron delivers them; lib/webhooks/deliver.ts). An
 * endpoint for one organization gets that organization's events; one for
 * every organization gets all, alerts included. A disabled endpoint still
 * gets its deliveries, held until it is enabled again. Returns how many.
 */
export async function enqueueWebhooks(tx: Tx, events: WebhookEvent[], now: Date): Promise<number> {
  if (events.length === 0) return 0;
  const endpoints = await tx.webhookEndpoint.findMany({ select: { id: true, organizationId: true, events: true, format: true } });
  if (endpoints.length === 0) return 0;
  const rows: Record<string, unknown>[] = [];
  for (const event of events) {
    let standard: string | undefined;
    for (const ep of endpoints) {
      if (ep.organizationId !== null && (ep.organizationId !== event.organizationId || STAFF_ONLY_EVENTS.has(event.type))) continue;
      if (ep.events.length > 0 && !ep.events.includes(event.type)) continue;
      let body: string | null;
      if (ep.format === "slack") body = slackMessage(event);
      else body = standard ??= webhookBody(event, now);
      if (body === null) continue;
      rows.push({
        id: newMessageId(),
        endpointId: ep.id,
        eventType: event.type,
        body,
        organizationId: event.organizationId,
        keyId: event.keyId,
        nextAttemptAt: now,
        createdAt: now,
      });
    }
  }
  if (rows.length === 0) return 0;
  return bulkInsert(tx, "webhook_deliveries", COLUMNS, rows);
}
