import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { listOrganizationNames } from "@/lib/keys/queries";
import { getComplianceSummary, recentReportDownloads } from "@/lib/reports/compliance";
import { summaryFigures } from "@/lib/reports/files";
import { scopeQuery, type ReportScope } from "@/lib/reports/period";
import { reportScopeFromSearch } from "@/lib/reports/scope";
import { ValidationError } from "@/lib/errors";
import { CardTable } from "@/components/card-table";
import { formatStaffTime } from "@/lib/time";

export const metadata: Metadata = { title: "Reports" };

type ReportsPageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

const pct = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(1)}%`);

const FILES = [
  { file: "compliance.pdf", label: "Compliance report (PDF)", note: "Title page with the evidence digests, summary, charts, exceptions, keys." },
  { file: "compliance.csv", label: "Compliance report (CSV)", note: "Every key in scope and its rotations in the period; exceptions." },
  { file: "audit-log.csv", label: "Audit log (CSV)", note: "Every event of the period with its chain hashes." },
  { file: "audit-log.jsonl", label: "Audit log (JSON Lines)", note: "The same, one JSON event per line, exactly as hashed." },
];

export default async function ReportsPage({ searchParams }: ReportsPageProps) {
  await connection();
  await requirePagePermission("reports:download", "/dashboard/reports");
  const params = await searchParams;
  const now = new Date();
  let scope: ReportScope;
  let problem: string | null = null;
  try {
    scope = reportScopeFromSearch(params, now);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problem = error.message;
    scope = reportScopeFromSearch({}, now);
  }
  const [orgs, summary, downloads] = await Promise.all([listOrganizationNames(), getComplianceSummary(scope), recentReportDownloads()]);
  const query = scopeQuery(scope);
  const custom = scope.preset === "custom";
  const lastDay = new Date(scope.to.getTime() - 86_400_000).toISOString().slice(0, 10);

  return (
    <>
      <h1>Reports</h1>
      <p className="lede">
        Evidence for auditors: was every key rotated within policy, and when not, why. Each download is recorded in the audit trail with its SHA-256; the audit
        log can be checked offline with <code>npm run audit:verify -- FILE</code>.
      </p>

      <form className="filter-form card" method="get" aria-label="Report scope" style={{ padding: "1rem 1.25rem" }}>
        <label>
          Period
          <select name="period" defaultValue={scope.preset}>
            <option value="this-month">This month</option>
            <option value="last-month">Last month</option>
            <option value="this-quarter">This quarter</option>
            <option value="last-quarter">Last quarter</option>
            <option value="custom">Custom (the dates on the right)</option>
          </select>
        </label>
        <label>
          From
          <input type="date" name="from" defaultValue={custom ? scope.from.toISOString().slice(0, 10) : undefined} />
        </label>
        <label>
          To (included)
          <input type="date" name="to" defaultValue={custom ? lastDay : undefined} />
        </label>
        <label>
          Organization
          <select name="org" defaultValue={scope.organizationId ?? ""}>
            <option value="">All organizations</option>
            {orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Environment
          <select name="env" defaultValue={scope.environment ?? ""}>
            <option value="">Live and test</option>
            <option value="live">live</option>
            <option value="test">test</option>
          </select>
        </label>
        <button className="button" type="submit">
          Show
        </button>
      </form>
      {problem && (
        <p className="form-error" role="alert">
          {problem}. Showing last quarter instead.
        </p>
      )}

      <h2>
        {scope.label}
        {scope.organizationId ? ` · ${orgs.find((o) => o.id === scope.organizationId)?.name ?? "unknown organization"}` : ""}
        {scope.environment ? ` · ${scope.environment}` : ""}
      </h2>
      <section className="cards" aria-label="Report summary">
        <div className="card">
          <div className={`figure${summary.complianceAtEnd !== null && summary.complianceAtEnd < 1 ? " bad" : ""}`}>{pct(summary.complianceAtEnd)}</div>
          <div className="label">
            compliant {scope.asOf ? "as of the instant above" : <>at the period&apos;s end</>} ({summary.compliantAtEnd} of {summary.keysInUseAtEnd} keys)
          </div>
        </div>
        <div className="card">
          <div className="figure">{pct(summary.complianceOverPeriod)}</div>
          <div className="label">compliant over the period (time-weighted)</div>
        </div>
        <div className="card">
          <div className="figure">{summary.rotationsCompleted.scheduled + summary.rotationsCompleted.manual + summary.rotationsCompleted.emergency}</div>
          <div className="label">
            rotations completed ({summary.rotationsCompleted.scheduled} scheduled, {summary.rotationsCompleted.manual} manual,{" "}
            {summary.rotationsCompleted.emergency} emergency)
          </div>
        </div>
        <div className="card">
          <div className={`figure${summary.exceptions.total ? " bad" : ""}`}>{summary.exceptions.total}</div>
          <div className="label">
            exceptions ({summary.exceptions.keys} keys, {summary.exceptions.rotations} rotations)
          </div>
        </div>
      </section>

      <div className="panel-grid">
        <section className="card" aria-label="Figures">
          <h2>Figures</h2>
          <dl className="facts">
            {summaryFigures(summary).map(([k, v]) => (
              <div key={k} style={{ display: "contents" }}>
                <dt>{k}</dt>
                <dd>{v || "—"}</dd>
              </div>
            ))}
          </dl>
        </section>
        <section className="card" aria-label="Downloads">
          <h2>Download</h2>
          <ul className="plain" style={{ gap: "0.9rem" }}>
            {FILES.map((f) => (
              <li key={f.file}>
                <a className="button secondary" href={`/dashboard/reports/download/${f.file}?${query}`} download>
                  {f.label}
                </a>
                <div className="sub">{f.note}</div>
              </li>
            ))}
          </ul>
          <p className="sub">The audit log is always the whole log of the period (every organization): only an unbroken run of the chain can be checked.</p>
          {scope.asOf && (
            <p className="sub">
              This period has not ended: these links report it as of {formatStaffTime(scope.asOf)}, so each gives the same file every time it is downloaded.
              Reload the page for a later instant.
            </p>
          )}
        </section>
      </div>

      <h2>Recent downloads</h2>
      <div className="table-wrap">
        {downloads.length === 0 ? (
          <p className="empty">No report has been downloaded yet.</p>
        ) : (
          <CardTable>
            <caption className="sr-only">Recent report downloads</caption>
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>SHA-256</th>
              </tr>
            </thead>
            <tbody>
              {downloads.map((d) => (
                <tr key={String(d.seq)}>
                  <td>{formatStaffTime(d.at)}</td>
                  <td>{d.who}</td>
                  <td>{d.reason}</td>
                  <td>
                    <code title={d.sha256 ?? ""}>{d.sha256 ? `${d.sha256.slice(0, 16)}…` : "—"}</code>
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
