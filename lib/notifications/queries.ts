import "server-only";
import { getPrisma } from "../db";
import { getMailer } from "./mailer";

export const OUTBOX_FILTERS = ["all", "pending", "sent", "failed"] as const;
export type OutboxFilter = (typeof OUTBOX_FILTERS)[number];

/** The outbox page: counts, the latest emails (one status or all), the last cron calls and where mail goes. */
export async function listOutbox(filter: OutboxFilter) {
  const prisma = await getPrisma();
  const [rows, counts, runs] = await Promise.all([
    prisma.notification.findMany({
      where: filter === "all" ? {} : { status: filter },
      orderBy: { createdAt: "desc" },
      take: 50,
      select: {
        id: true,
        kind: true,
        recipient: true,
        subject: true,
        status: true,
        attempts: true,
        nextAttemptAt: true,
        sentAt: true,
        lastError: true,
        createdAt: true,
        keyId: true,
        payload: true,
      },
    }),
    prisma.notification.groupBy({ by: ["status"], _count: { _all: true } }),
    prisma.cronRun.findMany({ orderBy: { startedAt: "desc" }, take: 5, select: { id: true, startedAt: true, durationMs: true, summary: true, error: true } }),
  ]);
  const mailer = getMailer();
  return {
    rows: rows.map(({ payload, ...r }) => ({
      ...r,
      keyPrefix: typeof (payload as Record<string, unknown>)?.keyPrefix === "string" ? ((payload as Record<string, unknown>).keyPrefix as string) : null,
    })),
    counts: Object.fromEntries(counts.map((c) => [c.status, c._count._all])) as Record<string, number>,
    runs,
    transport: { kind: mailer.kind, describe: mailer.describe },
  };
}
