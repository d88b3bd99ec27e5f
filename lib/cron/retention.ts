import "server-only";
import { getPrisma } from "../db";
import { purgeKeyChanges } from "../keys/changes";
import { purgeRateLimitCounters } from "../http/rate-limit";

const DAY_MS = 86_400_000;

/**
 * How long rekey keeps what it may forget. Audit events are never purged:
 * they are the compliance record, append-only by trigger.
 */
export const RETENTION_DAYS = {
  /** Delivered emails (the outbox page shows recent ones; failed ones stay until resolved by hand). */
  sentNotifications: 90,
  /** Webhook deliveries, sent or failed (the delivery log shows recent ones). */
  webhookDeliveries: 30,
  /** Resolved alerts. */
  resolvedAlerts: 365,
  /** Hourly verification counts (the charts look back 90 days; a year and a month covers year-over-year). */
  usage: 400,
  /** Records of cron calls. */
  cronRuns: 30,
  /** Sessions after they ended or lapsed (the audit trail keeps their events for good). */
  sessions: 90,
  /** Idempotency keys of management POSTs: a retry comes within a day, or not at all. */
  idempotencyKeys: 1,
} as const;

/** Rows deleted per statement, so a purge never holds long locks. */
const BATCH = 10_000;

export interface PurgeResult {
  notifications: number;
  webhookDeliveries: number;
  alerts: number;
  usage: number;
  cronRuns: number;
  signInTokens: number;
  /** Passkey challenges handed out and never answered, past their few minutes. */
  passkeyChallenges: number;
  sessions: number;
  /** Rows of the verifiers' change stream older than a day. */
  keyChanges: number;
  /** Rate-limit counters whose window has ended. */
  rateLimitCounters: number;
  idempotencyKeys: number;
}

/** Deletes what the retention periods let go, in bounded batches. */
export async function purgeExpired(now: Date): Promise<PurgeResult> {
  const prisma = await getPrisma();
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const drain = async (run: () => Promise<number>) => {
    let total = 0;
    for (let n = BATCH; n === BATCH; total += n) n = await run();
    return total;
  };
  const notifications = await drain(
    () => prisma.$executeRaw`
    DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE status = 'sent' AND "sentAt" < ${before(RETENTION_DAYS.sentNotifications)} LIMIT ${BATCH})`,
  );
  const webhookDeliveries = await drain(
    () => prisma.$executeRaw`
    DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND "createdAt" < ${before(RETENTION_DAYS.webhookDeliveries)} LIMIT ${BATCH})`,
  );
  const alerts = await drain(
    () => prisma.$executeRaw`
    DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE status = 'resolved' AND "resolvedAt" < ${before(RETENTION_DAYS.resolvedAlerts)} LIMIT ${BATCH})`,
  );
  const usage =
    (await drain(
      () => prisma.$executeRaw`
      DELETE FROM key_usage_hourly WHERE ctid IN (SELECT ctid FROM key_usage_hourly WHERE hour < ${before(RETENTION_DAYS.usage)} LIMIT ${BATCH})`,
    )) +
    (await drain(
      () => prisma.$executeRaw`
      DELETE FROM verification_counts WHERE ctid IN (SELECT ctid FROM verification_counts WHERE hour < ${before(RETENTION_DAYS.usage)} LIMIT ${BATCH})`,
    ));
  const cronRuns = await prisma.cronRun.deleteMany({ where: { startedAt: { lt: before(RETENTION_DAYS.cronRuns) } } });
  const tokens = await prisma.verificationToken.deleteMany({ where: { expires: { lt: now } } });
  const passkeyChallenges = (await prisma.webauthnChallenge.deleteMany({ where: { expiresAt: { lte: now } } })).count;
  const sessions = await prisma.userSession.deleteMany({
    where: { OR: [{ endedAt: { lt: before(RETENTION_DAYS.sessions) } }, { expiresAt: { lt: before(RETENTION_DAYS.sessions) } }] },
  });
  const keyChanges = await purgeKeyChanges(now);
  const rateLimitCounters = await purgeRateLimitCounters(now, BATCH);
  const idempotencyKeys = await drain(
    () => prisma.$executeRaw`
    DELETE FROM idempotency_keys WHERE (actor, key) IN (SELECT actor, key FROM idempotency_keys WHERE "createdAt" < ${before(RETENTION_DAYS.idempotencyKeys)} LIMIT ${BATCH})`,
  );
  return {
    notifications,
    webhookDeliveries,
    alerts,
    usage,
    cronRuns: cronRuns.count,
    signInTokens: tokens.count,
    passkeyChallenges,
    sessions: sessions.count,
    keyChanges,
    rateLimitCounters,
    idempotencyKeys,
  };
}
