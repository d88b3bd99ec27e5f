import "server-only";
import { getPrisma, inTransaction, type Tx } from "../db";
import { outOfScope, type OrganizationScope } from "../auth/scope";
import { appendAuditEvent } from "../audit/write";
import { dataSecretIds, openSecret, sealSecret } from "../secret";
import { log } from "../log";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { generateWebhookSecret, WEBHOOK_SEAL_PURPOSE } from "./signing";
import { webhookUrlProblem } from "./address";
import { newMessageId, STAFF_ONLY_EVENTS, webhookBody } from "./enqueue";
import { createWebhookSchema, MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION, type CreateWebhookInput } from "./schemas";
import { webhookDeliverySelect, webhookEndpointSelect } from "./views";
import { deliverWebhooks } from "./deliver";
import type { ScopedContext } from "../context";

/** How long the previous secret still signs beside the new one after a rotation. */
export const SECRET_OVERLAP_HOURS = 24;

/** The audit trail names an endpoint by its host: a URL's path may carry the receiver's own token (Slack's does). */
const hostOf = (url: string) => new URL(url).host;

/**
 * Registers a webhook endpoint. Staff register one for every organization
 * (`organizationId` absent or null) or for one; a customer (a scope) only
 * for their own organization, never a Slack endpoint (alerts are staff's).
 * The signing secret (`whsec_…`) is in the result only: stored sealed, it is
 * never shown again (rotate it to get a new one). Audited.
 */
export async function createWebhookEndpoint(input: CreateWebhookInput, { actor, now, scope = {} }: ScopedContext) {
  const data = parseInput(createWebhookSchema, input);
  const problem = webhookUrlProblem(data.url);
  if (problem) throw new ValidationError(problem, "url");
  const organizationId = scope.organizationId ?? data.organizationId ?? null;
  if (scope.organizationId && data.organizationId && data.organizationId !== scope.organizationId)
    throw new NotFoundError("organizationId: no such organization");
  const format = data.format ?? "standard";
  let events = [...new Set(data.events ?? [])];
  if (format === "slack") {
    if (organizationId)
      throw new ValidationError("format: a Slack endpoint receives staff alerts, so it is for every organization (leave organizationId out)", "format");
    if (events.some((e) => e !== "alert.raised")) throw new ValidationError("events: a Slack endpoint receives alert.raised only", "events");
    events = ["alert.raised"];
  }
  if (organizationId && events.some((e) => STAFF_ONLY_EVENTS.has(e))) {
    throw new ValidationError("events: alert.raised goes only to endpoints for every organization (alerts are written for the API company's staff)", "events");
  }
  return inTransaction(async (tx) => {
    if (organizationId) {
      const [org] = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE id = ${organizationId} AND "deletedAt" IS NULL FOR KEY SHARE`;
      if (!org) throw new NotFoundError("organizationId: no such organization");
      const count = await tx.webhookEndpoint.count({ where: { organizationId } });
      if (count >= MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION)
        throw new ConflictError(`An organization has at most ${MAX_WEBHOOK_ENDPOINTS_PER_ORGANIZATION} webhook endpoints: delete one first.`);
    }
    const id = crypto.randomUUID();
    const secret = generateWebhookSecret();
    const endpoint = await tx.webhookEndpoint.create({
      data: {
        id,
        organizationId,
        url: data.url,
        description: data.description ?? "",
        format,
        events,
        secret: sealSecret(secret, WEBHOOK_SEAL_PURPOSE, id),
        createdBy: actor,
        createdAt: now,
      },
      select: webhookEndpointSelect,
    });
    await appendAuditEvent(
      tx,
      { actor, action: "webhook.created", organizationId, reason: data.description || null, after: { endpointId: id, host: hostOf(data.url), format, events } },
      now,
    );
    return { endpoint, secret: format === "slack" ? null : secret };
  });
}

/** The endpoint, locked, in scope; else "not found". */
async function lockEndpoint(tx: Tx, id: string, scope: OrganizationScope) {
  const [row] = await tx.$queryRaw<{ id: string; organizationId: string | null; url: string; format: string }[]>`
    SELECT id, "organizationId", url, format FROM webhook_endpoints WHERE id = ${id} FOR UPDATE`;
  // A customer sees only their organization's endpoints: one for every organization is staff's.
  if (!row || (scope.organizationId !== undefined && (row.organizationId === null || outOfScope(scope, row.organizationId))))
    throw new NotFoundError("No such webhook endpoint.");
  return row;
}

/** Deletes an endpoint and its delivery log. Audited. */
export async function deleteWebhookEndpoint(id: string, { actor, now, scope = {} }: ScopedContext) {
  return inTransaction(async (tx) => {
    const ep = await lockEndpoint(tx, id, scope);
    await tx.webhookEndpoint.delete({ where: { id } });
    await appendAuditEvent(tx, { actor, action: "webhook.deleted", organizationId: ep.organizationId, before: { endpointId: id, host: hostOf(ep.url) } }, now);
    return { id, deleted: true };
  });
}

/**
 * Gives an endpoint a new signing secret, returned once. For the next
 * SECRET_OVERLAP_HOURS every delivery is signed with both (two `v1,`
 * signatures), so the receiver can switch to the new secret at leisure.
 */
export async function rotateWebhookSecret(id: string, { actor, now, scope = {} }: ScopedContext) {
  return inTransaction(async (tx) => {
    const ep = await lockEndpoint(tx, id, scope);
    if (ep.format === "slack") throw new ConflictError("A Slack endpoint is not signed: it has no secret to rotate.");
    const current = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id }, select: { secret: true } });
    const secret = generateWebhookSecret();
    const previousSecretUntil = new Date(now.getTime() + SECRET_OVERLAP_HOURS * 3_600_000);
    const endpoint = await tx.webhookEndpoint.update({
      where: { id },
      data: { secret: sealSecret(secret, WEBHOOK_SEAL_PURPOSE, id), previousSecret: current.secret, previousSecretUntil },
      select: webhookEndpointSelect,
    });
    await appendAuditEvent(
      tx,
      { actor, action: "webhook.secret_rotated", organizationId: ep.organizationId, after: { endpointId: id, previousSecretUntil } },
      now,
    );
    return { endpoint, secret };
  });
}

/** Enables an endpoint the delivery disabled (or pauses one): its held deliveries go at the next run. Audited. */
export async function setWebhookEndpointEnabled(id: string, enabled: boolean, { actor, now, scope = {} }: ScopedContext) {
  return inTransaction(async (tx) => {
    const ep = await lockEndpoint(tx, id, scope);
    const endpoint = await tx.webhookEndpoint.update({
      where: { id },
      data: enabled ? { disabledAt: null, disabledReason: null, failingSince: null } : { disabledAt: now, disabledReason: `paused by ${actor}` },
      select: webhookEndpointSelect,
    });
    await appendAuditEvent(
      tx,
      { actor, action: enabled ? "webhook.enabled" : "webhook.disabled", organizationId: ep.organizationId, after: { endpointId: id } },
      now,
    );
    return endpoint;
  });
}

/**
 * Queues a `webhook.test` event for one endpoint (the test-send button) and
 * returns its delivery's id, for the caller to deliver at once.
 */
export async function queueTestEvent(id: string, { actor, now, scope = {} }: ScopedContext) {
  return inTransaction(async (tx) => {
    const ep = await lockEndpoint(tx, id, scope);
    const deliveryId = newMessageId();
    const data = { endpointId: id, message: "A test event from rekey: this endpoint receives and verifies rekey's webhooks.", actor };
    const body =
      ep.format === "slack"
        ? JSON.stringify({ text: "rekey: a test alert. This channel receives rekey's alerts." })
        : webhookBody({ type: "webhook.test", data }, now);
    await tx.webhookDelivery.create({
      data: { id: deliveryId, endpointId: id, eventType: "webhook.test", body, organizationId: ep.organizationId, nextAttemptAt: now, createdAt: now },
    });
    await appendAuditEvent(tx, { actor, action: "webhook.test_sent", organizationId: ep.organizationId, after: { endpointId: id, deliveryId } }, now);
    return { deliveryId };
  });
}

/** Sends a delivery again (same `webhook-id`, a fresh timestamp and signature), whatever its state. Returns its id. */
export async function resendDelivery(deliveryId: string, { actor, now, scope = {} }: ScopedContext) {
  return inTransaction(async (tx) => {
    const d = await tx.webhookDelivery.findUnique({ where: { id: deliveryId }, select: { endpointId: true } });
    if (!d) throw new NotFoundError("No such delivery.");
    const ep = await lockEndpoint(tx, d.endpointId, scope);
    await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { status: "pending", attempts: 0, nextAttemptAt: now, claimToken: null } });
    await appendAuditEvent(tx, { actor, action: "webhook.resent", organizationId: ep.organizationId, after: { endpointId: d.endpointId, deliveryId } }, now);
    return { deliveryId };
  });
}

/**
 * The test-send button: queues a `webhook.test` event for the endpoint,
 * delivers it at once, and returns the delivery as the log shows it.
 */
export async function sendTestEvent(id: string, { actor, now, scope = {} }: ScopedContext) {
  const { deliveryId } = await queueTestEvent(id, { actor, now, scope });
  return deliverNow(deliveryId, now);
}

/** The resend button: the delivery again, at once (same webhook-id), returned as the log shows it. */
export async function resendDeliveryNow(deliveryId: string, { actor, now, scope = {} }: ScopedContext) {
  await resendDelivery(deliveryId, { actor, now, scope });
  return deliverNow(deliveryId, now);
}

/**
 * Seals again under the current data secret every webhook signing secret
 * still under a previous one (after REKEY_DATA_SECRET rotated), so the
 * previous data secret can be removed. Run by the cron; a small table, one
 * transaction. One that no configured secret opens is left (and counted on
 * the Secrets page): rotate that endpoint's secret. Returns how many moved.
 */
export async function resealWebhookSecrets(): Promise<number> {
  const current = `v2.${dataSecretIds().current}.`;
  return inTransaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; secret: string; previousSecret: string | null }[]>`
      SELECT id, secret, "previousSecret" FROM webhook_endpoints
      WHERE NOT starts_with(secret, ${current}) OR NOT starts_with(COALESCE("previousSecret", ${current}), ${current})
      FOR UPDATE SKIP LOCKED`;
    let moved = 0;
    for (const row of rows) {
      const reseal = (sealed: string | null) => {
        if (sealed === null || sealed.startsWith(current)) return sealed;
        try {
          return sealSecret(openSecret(sealed, WEBHOOK_SEAL_PURPOSE, row.id), WEBHOOK_SEAL_PURPOSE, row.id);
        } catch {
          log.warn({ endpointId: row.id }, "a webhook signing secret is sealed under a data secret no longer configured: rotate it");
          return sealed;
        }
      };
      const secret = reseal(row.secret)!;
      const previousSecret = reseal(row.previousSecret);
      if (secret !== row.secret || previousSecret !== row.previousSecret) {
        await tx.webhookEndpoint.update({ where: { id: row.id }, data: { secret, previousSecret } });
        moved++;
      }
    }
    return moved;
  });
}

/** One delivery sent now (its own claim), then read back as the delivery log shows it. */
async function deliverNow(deliveryId: string, now: Date) {
  await deliverWebhooks(now, { onlyIds: [deliveryId], budgetMs: 1 });
  const prisma = await getPrisma();
  return prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId }, select: webhookDeliverySelect });
}
