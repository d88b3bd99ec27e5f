import "server-only";
import { getPrisma } from "../db";
import { log } from "../log";
import { advanceRotations, type AdvanceResult } from "../rotations/advance";
import { deliverOutbox, type DeliveryOptions, type DeliveryResult } from "../notifications/deliver";
import { deliverWebhooks, type WebhookDeliveryResult } from "../webhooks/deliver";
import { resealWebhookSecrets } from "../webhooks/mutations";
import { raiseLingeringHashVersionAlerts, raisePastMaxAgeAlerts, raiseVerificationAlerts, resolveClearedAlerts, sendAlertDigest } from "../alerts/conditions";
import { scheduleDueRotations } from "./schedule";
import { sendDueReminders } from "./reminders";
import { purgeExpired, type PurgeResult } from "./retention";
import { analyzeEmbeddedDatabaseIfDue } from "./maintenance";
import { sendMonthlyReport } from "../reports/monthly";
import { signCheckpointIfDue, verifyChainInFullIfDue } from "../audit/checkpoints";
import { syncRevocationJournal } from "../backup/journal";
import { takeScheduledBackupIfDue } from "../backup/schedule";
import path from "node:path";

export interface CronSummary {
  at: string;
  scheduled: number;
  rotations: AdvanceResult;
  reminders: number;
  alerts: { raised: number; resolved: number; digested: number };
  /** Monthly report emails enqueued (the first call of a month, once per admin and auditor). */
  monthlyReport: number;
  /** The seq of the chain head signed by this call (a checkpoint), or null when none was due. */
  checkpoint: string | null;
  /** The nightly full check of the audit chain, when this call ran it. */
  fullCheck: { ok: boolean; checked: number } | null;
  /** Revoked keys this call wrote to the revocation journal (lib/backup/journal.ts). */
  journaled: number;
  /** The scheduled backup this call took (lib/backup/schedule.ts), or null when none was due. */
  backup: { file: string; bytes: number; durationMs: number } | null;
  emails: DeliveryResult;
  webhooks: WebhookDeliveryResult;
  purged: PurgeResult | null;
  durationMs: number;
  /** Milliseconds per step, to see where a slow call spent its time. */
  stepMs: Record<string, number>;
  errors: { step: string; message: string }[];
}

export interface CronOptions {
  delivery?: DeliveryOptions;
}

/**
 * A cron call aims to finish within this many milliseconds: email delivery
 * gets what the other steps left (at least MIN_DELIVERY_MS) and leaves the
 * rest of the outbox to the next call, a minute later.
 */
export const CRON_CALL_BUDGET_MS = 9_000;
const MIN_DELIVERY_MS = 2_000;

/**
 * One cron call at `now`: schedules rotations that policy makes due (with
 * notice), starts and ends rotations, sends reminders, raises and resolves
 * alerts, emails the admins a digest, signs the audit chain's head (a
 * checkpoint, hourly when it moved), delivers the outbox and webhooks, and purges what
 * retention lets go. Every step is idempotent and safe beside a concurrent
 * call (SKIP LOCKED and unique keys), so two instances may call at once. A
 * step that fails is reported and the others still run. Each call is
 * recorded in cron_runs (duration for /api/metrics).
 */
export async function runCron(now: Date, options: CronOptions = {}): Promise<CronSummary> {
  const started = performance.now();
  const prisma = await getPrisma();
  const run = await prisma.cronRun.create({ data: { startedAt: now }, select: { id: true } });
  const errors: CronSummary["errors"] = [];
  const stepMs: Record<string, number> = {};
  const step = async <T>(name: string, fallback: T, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ step: name, err: message }, "cron step failed");
      errors.push({ step: name, message });
      return fallback;
    } finally {
      stepMs[name] = Math.round(performance.now() - t);
    }
  };
  const scheduled = await step("schedule", 0, () => scheduleDueRotations(now));
  const rotations = await step("advance", { started: 0, extended: 0, endedEarly: 0, completed: 0, failed: 0 }, () => advanceRotations(now));
  // The keys this call (or anyone since the last sync) revoked, into the journal outside the database.
  const journaled = await step("journal", 0, () => syncRevocationJournal({ now }));
  const reminders = await step("reminders", 0, () => sendDueReminders(now));
  const raised =
    (await step("alerts.maxAge", 0, () => raisePastMaxAgeAlerts(now))) +
    (await step("alerts.verification", 0, () => raiseVerificationAlerts(now))) +
    (await step("alerts.hashVersions", 0, () => raiseLingeringHashVersionAlerts(now)));
  const resolved = await step("alerts.resolve", 0, () => resolveClearedAlerts(now));
  const digested = await step("alerts.digest", 0, () => sendAlertDigest(now));
  const monthlyReport = await step("reports.monthly", 0, () => sendMonthlyReport(now));
  const checkpoint = await step("audit.checkpoint", null, async () => (await signCheckpointIfDue(now))?.statement.seq ?? null);
  // Nightly: the whole chain recomputed (a critical alert when broken); reports then check from that checkpoint on.
  const fullCheck = await step("audit.fullCheck", null, async () => {
    const result = await verifyChainInFullIfDue(now);
    return result ? { ok: result.ok, checked: result.checked } : null;
  });
  const emails = await step("deliver", { sent: 0, retrying: 0, failed: 0 }, () =>
    deliverOutbox(now, { budgetMs: Math.max(MIN_DELIVERY_MS, CRON_CALL_BUDGET_MS - (performance.now() - started)), ...options.delivery }),
  );
  await step("webhooks.reseal", 0, () => resealWebhookSecrets());
  // Webhooks after email, with what is left of the call (at least the minimum): the rest go in the next call.
  const webhooks = await step("webhooks", { sent: 0, retrying: 0, failed: 0, disabled: 0 }, () =>
    deliverWebhooks(now, { budgetMs: Math.max(MIN_DELIVERY_MS, CRON_CALL_BUDGET_MS - (performance.now() - started)) }),
  );
  const purged = await step<PurgeResult | null>("purge", null, () => purgeExpired(now));
  await step("analyze", null, () => analyzeEmbeddedDatabaseIfDue(now));
  const backup = await step("backup", null, async () => {
    const taken = await takeScheduledBackupIfDue(now);
    return taken ? { file: path.basename(taken.file), bytes: taken.bytes, durationMs: taken.durationMs } : null;
  });
  const durationMs = Math.round(performance.now() - started);
  const summary: CronSummary = {
    at: now.toISOString(),
    scheduled,
    rotations,
    reminders,
    alerts: { raised, resolved, digested },
    monthlyReport,
    checkpoint,
    fullCheck,
    journaled,
    backup,
    emails,
    webhooks,
    purged,
    durationMs,
    stepMs,
    errors,
  };
  await prisma.cronRun.update({
    where: { id: run.id },
    data: {
      finishedAt: new Date(now.getTime() + durationMs),
      durationMs,
      summary: summary as object,
      error: errors.length ? errors.map((e) => `${e.step}: ${e.message}`).join("; ") : null,
    },
  });
  log.info({ cron: { ...summary, purged: undefined } }, "cron run");
  return summary;
}
