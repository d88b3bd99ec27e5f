import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { roleMay } from "@/lib/auth/permissions";
import { listAlertInbox } from "@/lib/alerts/queries";
import { ALERT_SEVERITIES, ALERT_STATES, type AlertFilter } from "@/lib/alerts/schemas";
import { AlertInbox } from "./_components/alert-inbox";

export const metadata: Metadata = { title: "Alerts" };

type AlertsPageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) || undefined;

export default async function AlertsPage({ searchParams }: AlertsPageProps) {
  await connection();
  const viewer = await requirePagePermission("staff:read", "/dashboard/alerts");
  const raw = await searchParams;
  // The URL holds the view; anything unrecognised falls back to the default rather than failing the page.
  const asked = one(raw.status);
  const filter: AlertFilter = {
    state: ALERT_STATES.find((s) => s === asked) ?? "open",
    kind: one(raw.kind)?.slice(0, 100),
    severity: ALERT_SEVERITIES.find((s) => s === one(raw.severity)),
    organizationId: one(raw.org)?.slice(0, 100),
  };
  const page = Math.min(100_000, Math.max(1, Number(one(raw.page)) || 1));
  const inbox = await listAlertInbox(filter, page);
  const pages = Math.max(1, Math.ceil(inbox.total / inbox.pageSize));
  const canAct = roleMay(viewer.role, "keys:rotate");
  const now = new Date();
  const href = (changes: Partial<Record<"status" | "kind" | "severity" | "org" | "page", string | undefined>>) => {
    const base = {
      status: filter.state === "open" ? undefined : filter.state,
      kind: filter.kind,
      severity: filter.severity,
      org: filter.organizationId,
      page: undefined as string | undefined,
    };
    const params = new URLSearchParams(Object.entries({ ...base, ...changes }).filter((e): e is [string, string] => typeof e[1] === "string"));
    return `/dashboard/alerts${params.size ? `?${params}` : ""}`;
  };
  const typeTotal = inbox.kindCounts.reduce((n, k) => n + k.count, 0);

  return (
    <>
      <h1>Alerts</h1>
      <p className="lede">
        What a person must look at: failed rotations, keys past their max age, revoked keys still being tried, old keys still in use near their deadline.
      </p>
      <nav className="filters" aria-label="Alert state">
        {ALERT_STATES.map((s) => (
          <Link
            key={s}
            className="chip"
            href={href({ status: s === "open" ? undefined : s, kind: undefined })}
            aria-current={s === filter.state ? "page" : undefined}
          >
            {s} ({(inbox.stateCounts[s] ?? 0).toLocaleString("en")})
          </Link>
        ))}
      </nav>
      {inbox.kindCounts.length > 0 && (
        <nav className="filters types" aria-label="Alert types">
          <Link className="chip" href={href({ kind: undefined })} aria-current={!filter.kind ? "page" : undefined}>
            every type ({typeTotal.toLocaleString("en")})
          </Link>
          {inbox.kindCounts.map((k) => (
            <Link key={k.kind} className="chip" href={href({ kind: k.kind })} aria-current={filter.kind === k.kind ? "page" : undefined}>
              {k.kind.replaceAll("_", " ")} ({k.count.toLocaleString("en")})
            </Link>
          ))}
        </nav>
      )}
      <form className="filter-form" method="get" action="/dashboard/alerts" aria-label="Filters">
        {filter.state !== "open" && <input type="hidden" name="status" value={filter.state} />}
        {filter.kind && <input type="hidden" name="kind" value={filter.kind} />}
        <label>
          Severity
          <select name="severity" defaultValue={filter.severity ?? ""}>
            <option value="">any</option>
            {ALERT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Organization
          <select name="org" defaultValue={filter.organizationId ?? ""}>
            <option value="">any</option>
            {inbox.organizations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <button className="button secondary" type="submit">
          Apply
        </button>
      </form>
      <p className="sub">
        {inbox.total.toLocaleString("en")} {filter.state} alert{inbox.total === 1 ? "" : "s"}
        {filter.kind ? ` of type ${filter.kind.replaceAll("_", " ")}` : ""}, newest first. Times are in your browser&apos;s zone (hover for the exact time).
      </p>
      {/* Rendered when empty too: resolving the last alerts must not take their confirmation (and undo) away with them. */}
      <AlertInbox
        key={`${filter.state}|${filter.kind}|${filter.severity}|${filter.organizationId}|${page}`}
        rows={inbox.alerts.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() }))}
        now={now.toISOString()}
        canAct={canAct}
        total={inbox.total}
        filter={filter}
        empty={
          filter.state === "open" && !filter.kind && !filter.severity && !filter.organizationId
            ? "No open alerts. Nothing needs you right now."
            : `No ${filter.state} alerts match.`
        }
      />
      {pages > 1 && (
        <div className="pager">
          <span>
            Page {inbox.page} of {pages}
          </span>
          <span className="links">
            {inbox.page > 1 && (
              <Link className="chip" href={href({ page: String(inbox.page - 1) })}>
                ← Previous
              </Link>
            )}
            {inbox.page < pages && (
              <Link className="chip" href={href({ page: String(inbox.page + 1) })}>
                Next →
              </Link>
            )}
          </span>
        </div>
      )}
    </>
  );
}
