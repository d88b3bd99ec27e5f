import "server-only";
import { randomUUID } from "node:crypto";
import { formatDistanceStrict } from "date-fns";
import { getPrisma, inTransaction } from "../db";
import { log } from "../log";
import { raiseAlerts } from "../alerts/raise";
import { getMailer, type Mailer } from "./mailer";
import { appUrl } from "../app-url";
import { renderEmail, type EmailContext, type TemplateName } from "./templates";
import { formatInZone } from "../time";
import type { NotificationPayload } from "./outbox";

/** After this many failed attempts a notification is marked failed and an alert raised. */
export const MAX_ATTEMPTS = 8;
/** A claimed notification is not picked up again for this long (a sender that died releases it then). */
export const CLAIM_LEASE_MS = 5 * 60_000;
/** The longest one message may take to send; a send still running then counts as failed (retried later, same Message-ID). */
export const SEND_TIMEOUT_MS = 90_000;
/**
 * A claim holds twice as many rows as the mailer sends at once (10 over SMTP),
 * marked together: a sender killed mid-claim re-sends at most these (each
 * as the same message), and a slow server cannot hold many rows hostage.
 */
export const claimSize = (mailer: Pick<Mailer, "concurrency">) => Math.max(1, 2 * mailer.concurrency);

/** Wait before attempt n+1 after n failures: 1, 2, 4, … minutes, at most 6 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 6 * 3_600_000);
}

export interface DeliveryResult {
  sent: number;
  retrying: number;
  failed: number;
}

export interface DeliveryOptions {
  mailer?: Mailer;
  /** Stop claiming new messages after this long (the rest go in the next call). */
  budgetMs?: number;
  /** Called after each message left, before it is marked sent (tests use it to crash there). */
  afterSend?: (notificationId: string) => void;
  /** For tests: a shorter lease and send timeout (the real ones are minutes). */
  leaseMs?: number;
  sendTimeoutMs?: number;
}

interface Claimed {
  id: string;
  kind: string;
  recipient: string;
  idempotencyKey: string;
  keyId: string | null;
  payload: NotificationPayload;
  attempts: number;
}

/** What a template needs, from the outbox row: times in the customer's zone and UTC, links. */
export function emailContext(n: Pick<Claimed, "kind" | "keyId" | "payload">, now: Date): EmailContext {
  const p = n.payload;
  const str = (k: string) => (typeof p[k] === "string" ? (p[k] as string) : undefined);
  const zone = str("timeZone") ?? "UTC";
  const at = (k: string) => (str(k) ? new Date(str(k)!) : undefined);
  const deadline = at("graceEndsAt");
  const starts = at("scheduledAt");
  const lastUsed = at("lastUsedAt");
  const base = appUrl();
  return {
    appUrl: base,
    portalUrl: n.keyId ? `${base}/portal/keys/${n.keyId}` : `${base}/portal`,
    organizationName: str("organizationName") ?? "your organization",
    keyPrefix: str("keyPrefix"),
    environment: str("environment"),
    reason: str("reason") ?? "not given",
    timeZone: zone,
    deadlineLocal: deadline && formatInZone(deadline, zone),
    deadlineUtc: deadline && formatInZone(deadline, "UTC"),
    startsLocal: starts && formatInZone(starts, zone),
    startsUtc: starts && formatInZone(starts, "UTC"),
    revokedNow: Boolean(deadline && starts && deadline.getTime() <= starts.getTime()),
    lastUsedAgo: lastUsed ? `${formatDistanceStrict(lastUsed, now)} ago` : undefined,
    postponeDays: typeof p.postponeDays === "number" ? p.postponeDays : undefined,
    postponementsLeft: typeof p.postponementsLeft === "number" ? p.postponementsLeft : undefined,
    alerts: Array.isArray(p.alerts) ? (p.alerts as EmailContext["alerts"]) : undefined,
    alertCount: typeof p.count === "number" ? p.count : undefined,
    alertsUrl: `${base}/dashboard/alerts`,
    periodLabel: str("periodLabel"),
    reportUrl: str("reportQuery") !== undefined ? `${base}/dashboard/reports?${str("reportQuery")}` : undefined,
    checkpointJson: str("checkpoint"),
    checkpointSeq: str("checkpointSeq"),
  };
}

/**
 * Delivers due outbox rows, a small claim at a time. A claim (its own
 * committed transaction: attempt counted, hidden for the lease, SKIP LOCKED
 * so concurrent callers take different rows) carries a fresh token; the
 * rows are sent, then marked — sent with the SMTP message id, retried with
 * exponential backoff, or after MAX_ATTEMPTS failed with an alert — only
 * where the token still holds them. Two bounds keep a message from going
 * twice while it is held:
 * - a deadline for the claim well inside its lease: a message is started
 *   only while it can finish (SEND_TIMEOUT_MS) before the lease ends; the
 *   ones not started are released at once, their attempt not counted;
 * - fencing: a sender that is late anyway (paused, partitioned) marks
 *   nothing it no longer holds.
 * What remains is a crash after sending and before marking: after the lease
 * those rows (at most one claim) are sent again with the same Message-ID and
 * idempotency header (the file outbox sees the file and does not write it
 * again), and a send that timed out but reached the server.
 */
export async function deliverOutbox(now: Date, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const mailer = options.mailer ?? getMailer();
  const started = Date.now();
  const budget = options.budgetMs ?? 25_000;
  const leaseMs = options.leaseMs ?? CLAIM_LEASE_MS;
  // A send must fit in a lease with room to spare, or no claim could ever start one.
  const sendTimeoutMs = Math.min(options.sendTimeoutMs ?? SEND_TIMEOUT_MS, leaseMs * 0.8);
  const size = claimSize(mailer);
  const result: DeliveryResult = { sent: 0, retrying: 0, failed: 0 };
  while (Date.now() - started < budget) {
    const claimedAt = Date.now();
    // The call is one instant (`now`: what is due, retry times), but its sends take real time: a lease runs from the claim.
    const claim = await claimRows(now, new Date(now.getTime() + (claimedAt - started) + leaseMs), size);
    if (claim.rows.length === 0) break;
    // Start no send that could outlast the lease (a margin for marking).
    const startBy = claimedAt + leaseMs - sendTimeoutMs - Math.min(30_000, leaseMs / 10);
    const outcomes = await sendAll(claim.rows, mailer, now, { startBy, sendTimeoutMs, afterSend: options.afterSend });
    const r = await mark(claim, outcomes, now);
    result.sent += r.sent;
    result.retrying += r.retrying;
    result.failed += r.failed;
    if (claim.rows.length < size || r.released > 0) break;
  }
  return result;
}

interface Claim {
  token: string;
  rows: Claimed[];
}

async function claimRows(now: Date, until: Date, size: number): Promise<Claim> {
  const prisma = await getPrisma();
  const token = randomUUID();
  const rows = await prisma.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT id FROM notifications
      WHERE status = 'pending' AND "nextAttemptAt" <= ${now}
      ORDER BY "nextAttemptAt", "createdAt"
      LIMIT ${size}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE notifications n SET attempts = n.attempts + 1, "nextAttemptAt" = ${until}, "claimToken" = ${token}
    FROM due WHERE n.id = due.id
    RETURNING n.id, n.kind, n.recipient, n."idempotencyKey", n."keyId", n.payload, n.attempts`;
  return { token, rows };
}

type Outcome =
  | { ok: true; messageId: string; subject: string }
  | { ok: false; error: string; subject?: string }
  /** Not started: the claim's deadline had passed. */
  | { ok: "released" };

class SendTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(`no answer from the mail server within ${ms < 10_000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function sendAll(
  rows: Claimed[],
  mailer: Mailer,
  now: Date,
  limits: { startBy: number; sendTimeoutMs: number; afterSend?: (id: string) => void },
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const row = rows[i];
      if (Date.now() > limits.startBy) {
        outcomes[i] = { ok: "released" };
        continue;
      }
      let subject: string | undefined;
      try {
        const email = await renderEmail(row.kind as TemplateName, emailContext(row, now));
        subject = email.subject;
        const sent = await withTimeout(mailer.send({ to: row.recipient, ...email, idempotencyKey: row.idempotencyKey }), limits.sendTimeoutMs);
        limits.afterSend?.(row.id);
        outcomes[i] = { ok: true, messageId: sent.messageId, subject };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.warn({ notificationId: row.id, kind: row.kind, attempt: row.attempts, err: message }, "email delivery failed");
        outcomes[i] = { ok: false, error: message.slice(0, 500), subject };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(mailer.concurrency, rows.length) }, worker));
  return outcomes;
}

async function mark(claim: Claim, outcomes: Outcome[], now: Date): Promise<DeliveryResult & { released: number }> {
  const { rows, token } = claim;
  const sent = rows.flatMap((r, i) => (outcomes[i].ok === true ? [{ r, o: outcomes[i] as Extract<Outcome, { ok: true }> }] : []));
  const failed = rows.flatMap((r, i) => (outcomes[i].ok === false ? [{ r, o: outcomes[i] as Extract<Outcome, { ok: false }> }] : []));
  const released = rows.filter((_, i) => outcomes[i].ok === "released");
  return inTransaction(async (tx) => {
    // Every update is fenced by the claim's token: a row re-claimed by another sender after the lease is theirs to mark.
    const held = async (query: Promise<{ id: string }[]>) => new Set((await query).map((r) => r.id));
    const sentHeld = sent.length
      ? await held(tx.$queryRaw<{ id: string }[]>`
        UPDATE notifications n SET status = 'sent', "sentAt" = ${now}, "messageId" = v.mid, subject = v.subject, "lastError" = NULL, "claimToken" = NULL
        FROM unnest(${sent.map((s) => s.r.id)}::text[], ${sent.map((s) => s.o.messageId)}::text[], ${sent.map((s) => s.o.subject)}::text[]) AS v(id, mid, subject)
        WHERE n.id = v.id AND n."claimToken" = ${token}
        RETURNING n.id`)
      : new Set<string>();
    const failedHeld = failed.length
      ? await held(tx.$queryRaw<{ id: string }[]>`
        UPDATE notifications n
        SET "lastError" = v.err, subject = COALESCE(v.subject, n.subject), "claimToken" = NULL,
            status = (CASE WHEN n.attempts >= ${MAX_ATTEMPTS} THEN 'failed' ELSE 'pending' END)::"NotificationStatus",
            "nextAttemptAt" = v.next
        FROM unnest(${failed.map((f) => f.r.id)}::text[], ${failed.map((f) => f.o.error)}::text[], ${failed.map((f) => f.o.subject ?? null)}::text[],
                    ${failed.map((f) => new Date(now.getTime() + retryDelayMs(f.r.attempts)))}::timestamptz[]) AS v(id, err, subject, next)
        WHERE n.id = v.id AND n."claimToken" = ${token}
        RETURNING n.id`)
      : new Set<string>();
    if (released.length) {
      // Never tried: due again at once, and the claim's attempt not counted.
      await tx.$executeRaw`
        UPDATE notifications SET attempts = attempts - 1, "nextAttemptAt" = ${now}, "claimToken" = NULL
        WHERE id = ANY(${released.map((r) => r.id)}::text[]) AND "claimToken" = ${token}`;
    }
    const givingUp = failed.filter((f) => failedHeld.has(f.r.id) && f.r.attempts >= MAX_ATTEMPTS);
    await raiseAlerts(
      tx,
      givingUp.map((f) => ({
        kind: "notification_failed" as const,
        severity: "warning" as const,
        keyId: f.r.keyId,
        message: `Email "${f.r.kind.replace(/_/g, " ")}" to ${f.r.recipient} failed ${f.r.attempts} times: ${f.o.error.slice(0, 200)}`,
        dedupeKey: `notification_failed:${f.r.id}`,
      })),
      now,
    );
    if (sentHeld.size < sent.length || failedHeld.size < failed.length) {
      log.warn(
        { lost: sent.length + failed.length - sentHeld.size - failedHeld.size },
        "outbox: some rows were re-claimed by another sender before this one marked them",
      );
    }
    return { sent: sentHeld.size, retrying: failedHeld.size - givingUp.length, failed: givingUp.length, released: released.length };
  });
}
