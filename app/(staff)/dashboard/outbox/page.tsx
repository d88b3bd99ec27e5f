import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { OUTBOX_FILTERS, listOutbox } from "@/lib/notifications/queries";
import { DeliverNowButton, RetryButton } from "./_components/outbox-buttons";
import { CardTable } from "@/components/card-table";

export const metadata: Metadata = { title: "Outbox" };

type OutboxPageProps = { searchParams: Promise<{ status?: string }> };

const statusBadge: Record<string, string> = { sent: "active", pending: "expiring", failed: "revoked" };

export default async function OutboxPage({ searchParams }: OutboxPageProps) {
  await connection();
  await requirePagePermission("outbox:manage", "/dashboard/outbox");
  const asked = (await searchParams).status;
  const filter = OUTBOX_FILTERS.find((s) => s === asked) ?? "all";
  const { rows, counts, runs, transport } = await listOutbox(filter);
  const now = new Date();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const lastRun = runs[0];
  return (
    <>
      <h1>Outbox</h1>
      <p className="lede">
        Every email rekey owes someone, written with the event that caused it and delivered by the cron, retried with backoff, never sent twice. Mail goes to{" "}
        <strong>{transport.describe}</strong>
        {transport.kind === "files" ? " (set SMTP_URL to send for real)." : "."}
      </p>
      <p className="sub" style={{ margin: "0 0 0.5rem" }}>
        {lastRun ? (
          <>
            Last cron call {formatDistanceStrict(lastRun.startedAt, now)} ago, took {lastRun.durationMs ?? "…"} ms
            {lastRun.error ? <span className="bad-text"> · failed: {lastRun.error}</span> : null}.
          </>
        ) : (
          "The cron has not run yet. npm start calls it every minute; elsewhere, call POST /api/cron with Authorization: Bearer $CRON_SECRET."
        )}
      </p>
      <div className="toolbar">
        <nav className="filters" aria-label="Email status">
          {OUTBOX_FILTERS.map((s) => (
            <Link key={s} className="chip" href={`/dashboard/outbox?status=${s}`} aria-current={s === filter ? "page" : undefined}>
              {s} ({s === "all" ? total : (counts[s] ?? 0)})
            </Link>
          ))}
        </nav>
        <DeliverNowButton />
      </div>
      <div className="table-wrap">
        {rows.length === 0 ? (
          <p className="empty">{filter === "all" ? "No emails yet. Rotations, reminders and alerts will put them here." : `No ${filter} emails.`}</p>
        ) : (
          <CardTable>
            <caption className="sr-only">The latest 50 emails, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">To</th>
                <th scope="col">Key</th>
                <th scope="col">Status</th>
                <th scope="col">Queued</th>
                <th scope="col">Attempts</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((n) => (
                <tr key={n.id}>
                  <td style={{ whiteSpace: "normal", maxWidth: "28rem" }}>
                    {n.subject ?? <span className="sub">(rendered when sent)</span>}
                    <div className="sub">
                      {n.kind.replaceAll("_", " ")}
                      {n.status === "sent" && transport.kind === "files" && (
                        <>
                          {" · "}
                          <a href={`/dashboard/outbox/${n.id}/eml`}>view .eml</a>
                        </>
                      )}
                    </div>
                  </td>
                  <td>{n.recipient}</td>
                  <td>
                    {n.keyId && n.keyPrefix ? (
                      <Link href={`/dashboard/keys/${n.keyId}`}>
                        <code>{n.keyPrefix}…</code>
                      </Link>
                    ) : (
                      <span className="sub">—</span>
                    )}
                  </td>
                  <td>
                    <span className={`badge ${statusBadge[n.status]}`}>{n.status}</span>
                    <div className="sub">
                      {n.status === "sent" && n.sentAt
                        ? `${formatDistanceStrict(n.sentAt, now)} ago`
                        : n.status === "pending"
                          ? n.nextAttemptAt > now
                            ? `next try in ${formatDistanceStrict(n.nextAttemptAt, now)}`
                            : "due now"
                          : null}
                    </div>
                    {n.lastError && (
                      <div className="bad-text" style={{ whiteSpace: "normal" }}>
                        {n.lastError}
                      </div>
                    )}
                  </td>
                  <td className="sub">{formatDistanceStrict(n.createdAt, now)} ago</td>
                  <td>
                    {n.attempts}
                    {n.status === "failed" && <RetryButton notificationId={n.id} />}
                  </td>
                </tr>
              ))}
            </tbody>
          </CardTable>
        )}
      </div>
    </>
  );
}
