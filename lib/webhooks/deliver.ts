import "server-only";
import { randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { getPrisma, inTransaction } from "../db";
import { log } from "../log";
import { openSecret } from "../secret";
import { raiseAlerts } from "../alerts/raise";
import { appendAuditEvents } from "../audit/write";
import { BlockedAddressError, guardedLookup, isBlockedAddress, privateAddressesAllowed } from "./address";
import { signatureHeader, WEBHOOK_SEAL_PURPOSE } from "./signing";

/** Deliveries held by one claim: a sender killed mid-claim sends at most these again (each with its webhook-id). */
export const WEBHOOK_CLAIM_SIZE = 10;
/** Requests in flight at once. */
export const WEBHOOK_CONCURRENCY = 10;
/** The longest one request may take, connection to last byte. */
export const WEBHOOK_TIMEOUT_MS = 15_000;
/** A claimed delivery is not picked up again for this long. */
export const WEBHOOK_LEASE_MS = 2 * 60_000;
/** Attempts before a delivery is marked failed. */
export const WEBHOOK_MAX_ATTEMPTS = 8;
/** An endpoint whose every attempt failed for this long is disabled, with an alert. */
export const WEBHOOK_DISABLE_AFTER_MS = 5 * 86_400_000;
/** Wait before attempt n+1 after n failures (Standard Webhooks' suggested schedule): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export function webhookRetryDelayMs(attempts: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(attempts, 1), RETRY_DELAYS_MS.length) - 1];
}

export interface WebhookDeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
  disabled: number;
}

export interface WebhookDeliveryOptions {
  /** Stop claiming after this long (the rest go in the next call). */
  budgetMs?: number;
  /** Only these deliveries (the test-send and resend buttons deliver at once). */
  onlyIds?: string[];
  /** For tests: a shorter lease and request timeout. */
  leaseMs?: number;
  timeoutMs?: number;
  /** Called after a request was answered, before it is marked (tests crash there). */
  afterSend?: (deliveryId: string) => void;
}

interface Claimed {
  id: string;
  endpointId: string;
  eventType: string;
  body: string;
  attempts: number;
  url: string;
  format: string;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: Date | null;
}

type Outcome = { ok: boolean; status: number | null; latencyMs: number; error: string | null } | { ok: "released" };

/**
 * Delivers due webhook deliveries, a small fenced claim at a time, as the
 * email outbox does (lib/notifications/deliver.ts): a claim (its own
 * committed transaction, SKIP LOCKED) counts the attempt, hides the rows for
 * the lease and carries a token; a request starts only while it can finish
 * before the lease ends; every mark is fenced by the token. A 2xx answer is
 * delivered; anything else (another status, a timeout, a refused address)
 * is retried on the schedule, failed after WEBHOOK_MAX_ATTEMPTS, and an
 * endpoint failing for WEBHOOK_DISABLE_AFTER_MS is disabled with an alert.
 * Every attempt of a delivery has the same `webhook-id`.
 */
export async function deliverWebhooks(now: Date, options: WebhookDeliveryOptions = {}): Promise<WebhookDeliveryResult> {
  const started = Date.now();
  const budget = options.budgetMs ?? 25_000;
  const leaseMs = options.leaseMs ?? WEBHOOK_LEASE_MS;
  const timeoutMs = Math.min(options.timeoutMs ?? WEBHOOK_TIMEOUT_MS, leaseMs * 0.8);
  const result: WebhookDeliveryResult = { sent: 0, retrying: 0, failed: 0, disabled: 0 };
  // One claim at least, however small the budget (the test-send button delivers one row with budgetMs 1).
  for (let first = true; first || Date.now() - started < budget; first = false) {
    const claimedAt = Date.now();
    const token = randomUUID();
    const rows = await claim(now, new Date(now.getTime() + (claimedAt - started) + leaseMs), token, options.onlyIds);
    if (rows.length === 0) break;
    const startBy = claimedAt + leaseMs - timeoutMs - Math.min(30_000, leaseMs / 10);
    const outcomes = await sendAll(rows, { now, startBy, timeoutMs, afterSend: options.afterSend });
    const r = await mark(token, rows, outcomes, now);
    result.sent += r.sent;
    result.retrying += r.retrying;
    result.failed += r.failed;
    result.disabled += r.disabled;
    if (rows.length < WEBHOOK_CLAIM_SIZE || r.released > 0) break;
  }
  return result;
}

async function claim(now: Date, until: Date, token: string, onlyIds?: string[]): Promise<Claimed[]> {
  const prisma = await getPrisma();
  const only = onlyIds ?? null;
  return prisma.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d."endpointId"
      WHERE d.status = 'pending' AND d."nextAttemptAt" <= ${now} AND e."disabledAt" IS NULL
        AND (${only}::text[] IS NULL OR d.id = ANY(${only}::text[]))
      ORDER BY d."nextAttemptAt", d."createdAt"
      LIMIT ${WEBHOOK_CLAIM_SIZE}
      FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE webhook_deliveries d SET attempts = d.attempts + 1, "nextAttemptAt" = ${until}, "claimToken" = ${token}
    FROM due, webhook_endpoints e
    WHERE d.id = due.id AND e.id = d."endpointId"
    RETURNING d.id, d."endpointId", d."eventType", d.body, d.attempts, e.url, e.format, e.secret, e."previousSecret", e."previousSecretUntil"`;
}

async function sendAll(rows: Claimed[], limits: { now: Date; startBy: number; timeoutMs: number; afterSend?: (id: string) => void }): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      if (Date.now() > limits.startBy) {
        outcomes[i] = { ok: "released" };
        continue;
      }
      outcomes[i] = await sendOne(rows[i], limits.now, limits.timeoutMs);
      limits.afterSend?.(rows[i].id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(WEBHOOK_CONCURRENCY, rows.length) }, worker));
  return outcomes;
}

/** The secrets a delivery is signed with now: the current one, and the previous one during a rotation's overlap. */
function signingSecrets(row: Claimed, now: Date): string[] {
  const secrets = [openSecret(row.secret, WEBHOOK_SEAL_PURPOSE, row.endpointId)];
  if (row.previousSecret && row.previousSecretUntil && row.previousSecretUntil > now) {
    // The receiver has the new secret too: a previous one that no longer opens is left out, not a failure.
    try {
      secrets.push(openSecret(row.previousSecret, WEBHOOK_SEAL_PURPOSE, row.endpointId));
    } catch {}
  }
  return secrets;
}

async function sendOne(row: Claimed, now: Date, timeoutMs: number): Promise<Outcome> {
  const t0 = performance.now();
  const latency = () => Math.round(performance.now() - t0);
  try {
    const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "rekey-webhooks/1" };
    if (row.format !== "slack") {
      // The receiver checks this against its clock (Standard Webhooks: 5 minutes of tolerance), so it is the wall clock.
      const timestamp = Math.floor(Date.now() / 1000);
      headers["webhook-id"] = row.id;
      headers["webhook-timestamp"] = String(timestamp);
      headers["webhook-signature"] = signatureHeader(signingSecrets(row, now), row.id, timestamp, row.body);
    }
    const status = await post(row.url, headers, row.body, timeoutMs);
    const ok = status >= 200 && status < 300;
    return { ok, status, latencyMs: latency(), error: ok ? null : `the endpoint answered HTTP ${status}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.warn({ deliveryId: row.id, endpointId: row.endpointId, attempt: row.attempts, err: message }, "webhook delivery failed");
    return { ok: false, status: null, latencyMs: latency(), error: message.slice(0, 500) };
  }
}

/**
 * POSTs the body and resolves with the status once the answer has been read
 * (up to 64 KB, then dropped). No redirects are followed; the address every
 * connection goes to is checked (guardedLookup), IP literals included.
 */
function post(target: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) && isBlockedAddress(host) && !privateAddressesAllowed()) return reject(new BlockedAddressError(url.hostname, host));
    const lib = url.protocol === "https:" ? https : url.protocol === "http:" && privateAddressesAllowed() ? http : null;
    if (!lib) return reject(new Error(`refused: ${url.protocol} is not allowed (https only)`));
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs < 10_000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`));
    }, timeoutMs);
    const req = lib.request(
      url,
      { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup: guardedLookup, agent: false },
      (res) => {
        let read = 0;
        res.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read > 65_536) res.destroy();
        });
        const done = () => {
          clearTimeout(timer);
          resolve(res.statusCode ?? 0);
        };
        res.on("end", done);
        res.on("close", done);
        res.on("error", done);
      },
    );
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

async function mark(token: string, rows: Claimed[], outcomes: Outcome[], now: Date): Promise<WebhookDeliveryResult & { released: number }> {
  const tried = rows.flatMap((r, i) => (outcomes[i].ok === "released" ? [] : [{ r, o: outcomes[i] as Exclude<Outcome, { ok: "released" }> }]));
  const released = rows.filter((_, i) => outcomes[i].ok === "released");
  return inTransaction(async (tx) => {
    const held = tried.length
      ? await tx.$queryRaw<{ id: string; endpointId: string; status: string }[]>`
        UPDATE webhook_deliveries d
        SET status = (CASE WHEN v.ok THEN 'sent' WHEN d.attempts >= ${WEBHOOK_MAX_ATTEMPTS} THEN 'failed' ELSE 'pending' END)::"NotificationStatus",
            "sentAt" = CASE WHEN v.ok THEN ${now}::timestamptz ELSE d."sentAt" END,
            "nextAttemptAt" = CASE WHEN v.ok THEN d."nextAttemptAt" ELSE v.next END,
            "lastAttemptAt" = ${now}, "lastStatusCode" = v.code, "lastLatencyMs" = v.ms, "lastError" = v.err, "claimToken" = NULL
        FROM unnest(${tried.map((t) => t.r.id)}::text[], ${tried.map((t) => t.o.ok === true)}::bool[], ${tried.map((t) => t.o.status)}::int[],
                    ${tried.map((t) => t.o.latencyMs)}::int[], ${tried.map((t) => t.o.error)}::text[],
                    ${tried.map((t) => new Date(now.getTime() + webhookRetryDelayMs(t.r.attempts)))}::timestamptz[]) AS v(id, ok, code, ms, err, next)
        WHERE d.id = v.id AND d."claimToken" = ${token}
        RETURNING d.id, d."endpointId", d.status::text AS status`
      : [];
    if (released.length) {
      await tx.$executeRaw`
        UPDATE webhook_deliveries SET attempts = attempts - 1, "nextAttemptAt" = ${now}, "claimToken" = NULL
        WHERE id = ANY(${released.map((r) => r.id)}::text[]) AND "claimToken" = ${token}`;
    }
    const succeeded = [...new Set(held.filter((h) => h.status === "sent").map((h) => h.endpointId))];
    const failing = [...new Set(held.filter((h) => h.status !== "sent").map((h) => h.endpointId))].filter((id) => !succeeded.includes(id));
    if (succeeded.length) await tx.webhookEndpoint.updateMany({ where: { id: { in: succeeded } }, data: { failingSince: null } });
    let disabled: { id: string; organizationId: string | null; url: string; failingSince: Date }[] = [];
    if (failing.length) {
      await tx.webhookEndpoint.updateMany({ where: { id: { in: failing }, failingSince: null }, data: { failingSince: now } });
      disabled = await tx.$queryRaw`
        UPDATE webhook_endpoints SET "disabledAt" = ${now}, "disabledReason" = 'every delivery failed since ' || to_char("failingSince" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
        WHERE id = ANY(${failing}::text[]) AND "disabledAt" IS NULL AND "failingSince" <= ${new Date(now.getTime() - WEBHOOK_DISABLE_AFTER_MS)}
        RETURNING id, "organizationId", url, "failingSince"`;
      if (disabled.length) {
        await appendAuditEvents(
          tx,
          disabled.map((e) => ({
            actor: "system:cron" as const,
            action: "webhook.disabled",
            organizationId: e.organizationId,
            reason: "every delivery failed for days",
            after: { endpointId: e.id, host: new URL(e.url).host, failingSince: e.failingSince },
          })),
          now,
        );
        await raiseAlerts(
          tx,
          disabled.map((e) => ({
            kind: "webhook_disabled" as const,
            severity: "warning" as const,
            organizationId: e.organizationId,
            message: `Webhook endpoint ${new URL(e.url).host} failed every delivery since ${e.failingSince.toISOString()} and was disabled; its deliveries wait until it is enabled again.`,
            dedupeKey: `webhook_disabled:${e.id}:${now.toISOString()}`,
          })),
          now,
        );
      }
    }
    const count = (s: string) => held.filter((h) => h.status === s).length;
    if (held.length < tried.length)
      log.warn({ lost: tried.length - held.length }, "webhooks: some deliveries were re-claimed by another sender before this one marked them");
    return { sent: count("sent"), retrying: count("pending"), failed: count("failed"), disabled: disabled.length, released: released.length };
  });
}
