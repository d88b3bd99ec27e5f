import "server-only";
import { inTransaction } from "../db";
import { enqueueNotifications, notificationKey } from "../notifications/outbox";
import { resolvePeriod, scopeQuery } from "./period";
import { signCheckpoint } from "../audit/checkpoints";

/**
 * The monthly report email: the first cron call of a month tells every
 * active admin and auditor that last month's report is ready, with a link to
 * it (the file itself is produced when they download it) and a signed
 * checkpoint of the audit chain at the month's end. Once per month and
 * recipient: the outbox's idempotency key is the month.
 */
export async function sendMonthlyReport(now: Date): Promise<number> {
  const period = resolvePeriod({ period: "last-month", org: null, env: null }, now);
  const month = period.from.toISOString().slice(0, 7);
  return inTransaction(async (tx) => {
    const readers = await tx.user.findMany({ where: { role: { in: ["admin", "auditor"] }, disabledAt: null }, select: { email: true } });
    if (readers.length === 0) return 0;
    // Every cron call asks; once every reader has this month's email, nothing more is looked up or signed.
    const sent = await tx.notification.count({
      where: { idempotencyKey: { in: readers.map((r) => notificationKey("monthly_report", `monthly-report:${month}`, r.email)) } },
    });
    if (sent === readers.length) return 0;
    // A signed checkpoint of the chain at the month's end goes in the email, so a copy lives outside rekey.
    const head = await tx.auditEvent.findFirst({ where: { at: { lt: period.to } }, orderBy: { seq: "desc" }, select: { seq: true, hash: true, at: true } });
    const checkpoint = head ? await signCheckpoint(tx, head, "report", now) : null;
    return enqueueNotifications(
      tx,
      [
        {
          kind: "monthly_report",
          organizationId: null,
          recipients: readers.map((r) => r.email),
          eventRef: `monthly-report:${month}`,
          // The link names the month's dates, not "last month": it must still mean November when opened in January.
          payload: {
            periodLabel: period.label,
            reportQuery: scopeQuery({ ...period, preset: "custom", organizationId: null, environment: null }),
            ...(checkpoint ? { checkpoint: JSON.stringify(checkpoint), checkpointSeq: checkpoint.statement.seq } : {}),
          },
        },
      ],
      now,
    );
  });
}
