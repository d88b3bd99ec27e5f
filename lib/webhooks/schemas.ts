import { z } from "zod";

/**
 * The event types a webhook endpoint may subscribe to: the lifecycle events
 * of lib/rotations/events.ts (the same names as the audit trail's), and
 * `webhook.test` (the test-send button, always delivered).
 */
export const WEBHOOK_EVENT_TYPES = [
  "rotation.scheduled",
  "rotation.started",
  "rotation.postponed",
  "rotation.reminded",
  "rotation.extended",
  "rotation.grace_ended",
  "rotation.completed",
  "rotation.cancelled",
  "rotation.rolled_back",
  "rotation.failed",
  "rotation.delivered",
  "rotation.delivery_failed",
  "key.created",
  "key.revoked",
  "key.reactivated",
  "key.leaked",
  "alert.raised",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const WEBHOOK_FORMATS = ["standard", "slack"] as const;

export const MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION = 20;

export const createWebhookSchema = z.object({
  url: z.string().trim().min(1, "is required").max(2000, "must be at most 2000 characters"),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(", ")}` }))
    .max(WEBHOOK_EVENT_TYPES.length)
    .optional(),
  organizationId: z.string().trim().min(1).max(100).nullable().optional(),
  description: z.string().trim().max(200, "must be at most 200 characters").optional(),
  format: z.enum(WEBHOOK_FORMATS, { error: "must be standard or slack" }).optional(),
});
export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

export const webhookIdSchema = z.object({ id: z.string().trim().min(1, "is required").max(100) });

export const webhookToggleSchema = z.object({ id: z.string().trim().min(1, "is required").max(100), enabled: z.boolean() });
export const deliveryIdSchema = z.object({ deliveryId: z.string().trim().min(1, "is required").max(100) });
