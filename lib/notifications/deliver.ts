import "server-only";
import { formatDistanceStrict } from "date-fns";
import { getPrisma, inTransaction } from "../db";
import { log } from "../log";
import { raiseAlerts } from "../alerts/raise";
import { getMailer, type Mailer } from "./mailer";
import { renderEmail, type EmailContext, type TemplateName } from "./templates";
import { formatInZone } from "../time";
import type { NotificationPayload } from "./outbox";

/** After this many failed attempts a notification is marked failed and an alert raised. */
export const MAX_ATTEMPTS = 8;
/** A claimed notification is not picked up again for this long (a sender that died releases it then). */
export const CLAIM_LEASE_MS = 5 * 60_000;
/** Rows claimed, sent and marked together: a crash re-sends at most this many (as the same messages). */
const CHUNK = 250;

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

export function appUrl(): string {
  return (process.env.REKEY_PUBLIC_URL || process.env.NEXTAUTH_URL || "http://localhost:3000").replace(/\/+$/, "");
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
 * Delivers due outbox rows. Each chunk is first claimed in its own committed
 * transaction (attempt counted, hidden for CLAIM_LEASE_MS; SKIP LOCKED, so
 * concurrent callers take different rows), then sent, then marked: sent with
 * the SMTP message id, or retried with exponential backoff, or after
 * MAX_ATTEMPTS failed with an alert. A sender that dies after sending and
 * before marking leaves the row claimed; after the lease it is sent again
 * with the same Message-ID and idempotency header (the file outbox sees the
 * file and does not write it again).
 */
export async function deliverOutbox(now: Date, options: DeliveryOptions = {}): Promise<DeliveryResult> {
  const mailer = options.mailer ?? getMailer();
  const started = Date.now();
  const budget = options.budgetMs ?? 25_000;
  const result: DeliveryResult = { sent: 0, retrying: 0, failed: 0 };
  while (Date.now() - started < budget) {
    const claimed = await claim(now);
    if (claimed.length === 0) break;
    const outcomes = await sendAll(claimed, mailer, now, options.afterSend);
    const r = await mark(claimed, outcomes, now);
    result.sent += r.sent;
    result.retrying += r.retrying;
    result.failed += r.failed;
    if (claimed.length < CHUNK) break;
  }
  return result;
}

async function claim(now: Date): Promise<Claimed[]> {
  const prisma = await getPrisma();
  const until = new Date(now.getTime() + CLAIM_LEASE_MS);
  return prisma.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT id FROM notifications
      WHERE status = 'pending' AND "nextAttemptAt" <= ${now}
      ORDER BY "nextAttemptAt", "createdAt"
      LIMIT ${CHUNK}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE notifications n SET attempts = n.attempts + 1, "nextAttemptAt" = ${until}
    FROM due WHERE n.id = due.id
    RETURNING n.id, n.kind, n.recipient, n."idempotencyKey", n."keyId", n.payload, n.attempts`;
}

type Outcome = { ok: true; messageId: string; subject: string } | { ok: false; error: string; subject?: string };

async function sendAll(rows: Claimed[], mailer: Mailer, now: Date, afterSend?: (id: string) => void): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(rows.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < rows.length; i = next++) {
      const row = rows[i];
      let subject: string | undefined;
      try {
        const email = await renderEmail(row.kind as TemplateName, emailContext(row, now));
        subject = email.subject;
        const sent = await mailer.send({ to: row.recipient, ...email, idempotencyKey: row.idempotencyKey });
        afterSend?.(row.id);
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

async function mark(rows: Claimed[], outcomes: Outcome[], now: Date): Promise<DeliveryResult> {
  const sent = rows.flatMap((r, i) => (outcomes[i].ok ? [{ r, o: outcomes[i] as Extract<Outcome, { ok: true }> }] : []));
  const failed = rows.flatMap((r, i) => (!outcomes[i].ok ? [{ r, o: outcomes[i] as Extract<Outcome, { ok: false }> }] : []));
  const givingUp = failed.filter((f) => f.r.attempts >= MAX_ATTEMPTS);
  return inTransaction(async (tx) => {
    if (sent.length) {
      await tx.$executeRaw`
        UPDATE notifications n SET status = 'sent', "sentAt" = ${now}, "messageId" = v.mid, subject = v.subject, "lastError" = NULL
        FROM unnest(${sent.map((s) => s.r.id)}::text[], ${sent.map((s) => s.o.messageId)}::text[], ${sent.map((s) => s.o.subject)}::text[]) AS v(id, mid, subject)
        WHERE n.id = v.id`;
    }
    if (failed.length) {
      await tx.$executeRaw`
        UPDATE notifications n
        SET "lastError" = v.err, subject = COALESCE(v.subject, n.subject),
            status = (CASE WHEN n.attempts >= ${MAX_ATTEMPTS} THEN 'failed' ELSE 'pending' END)::"NotificationStatus",
            "nextAttemptAt" = v.next
        FROM unnest(${failed.map((f) => f.r.id)}::text[], ${failed.map((f) => f.o.error)}::text[], ${failed.map((f) => f.o.subject ?? null)}::text[],
                    ${failed.map((f) => new Date(now.getTime() + retryDelayMs(f.r.attempts)))}::timestamptz[]) AS v(id, err, subject, next)
        WHERE n.id = v.id`;
    }
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
    return { sent: sent.length, retrying: failed.length - givingUp.length, failed: givingUp.length };
  });
}
