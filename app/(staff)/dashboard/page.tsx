import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { getOverview } from "@/lib/reports/overview";
import { StatusBadge } from "@/components/status-badge";
import { AgeChart, ComplianceChart } from "./_components/overview-charts";
import { CardTable } from "@/components/card-table";
import { formatStaffTime } from "@/lib/time";

export const metadata: Metadata = { title: "Overview" };

const STATES = ["scheduled", "grace", "completed", "cancelled", "rolled_back", "failed"];
const pct = (v: number | null) => (v === null ? "—" : `${(Math.round(v * 1000) / 10).toLocaleString("en")}%`);

export default async function OverviewPage() {
  await connection();
  await requirePagePermission("staff:read", "/dashboard");
  const o = await getOverview(new Date());
  const overdue = o.compliance.inUse - o.compliance.compliant;

  return (
    <>
      <h1>Overview</h1>
      <p className="lede">Which keys are overdue, which rotations are in grace and how far their clients have moved.</p>

      <section aria-label="Figures" className="cards">
        <div className="card">
          <div className="figure">{pct(o.compliance.rate)}</div>
          <div className="label">
            compliant ({o.compliance.compliant.toLocaleString("en")} of {o.compliance.inUse.toLocaleString("en")} keys in use)
          </div>
        </div>
        <Link className="card card-link" href="/dashboard/keys?overdue=1">
          <div className={`figure${overdue ? " bad" : ""}`}>{overdue.toLocaleString("en")}</div>
          <div className="label">keys past their max age</div>
        </Link>
        <Link className="card card-link" href="/dashboard/keys?status=expiring">
          <div className="figure">{(o.rotationsByState.grace ?? 0).toLocaleString("en")}</div>
          <div className="label">rotations in grace ({o.deadlinesThisWeek} end this week)</div>
        </Link>
        <div className="card">
          <div className={`figure${o.openAlertCount ? " bad" : ""}`}>{o.openAlertCount}</div>
          <div className="label">open alerts</div>
        </div>
      </section>

      <div className="chart-grid">
        <section className="card">
          <ComplianceChart history={o.history} />
        </section>
        <section className="card">
          <AgeChart ages={o.ages} />
        </section>
      </div>

      <div className="chart-grid">
        <section className="card" aria-labelledby="deadlines-title">
          <h2 id="deadlines-title">Grace deadlines this week</h2>
          {o.deadlines.length === 0 ? (
            <p className="sub">No grace period ends in the next 7 days.</p>
          ) : (
            <div className="scroll-x">
              <CardTable>
                <thead>
                  <tr>
                    <th scope="col">Key</th>
                    <th scope="col">Deadline</th>
                    <th scope="col" className="num">
                      Old key traffic
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {o.deadlines.map((d) => (
                    <tr key={d.rotationId}>
                      <td>
                        <Link href={`/dashboard/keys/${d.keyId}`}>
                          <code>{d.prefix}…</code>
                        </Link>
                        <div className="sub">{d.organization}</div>
                      </td>
                      <td>
                        in {formatDistanceStrict(d.graceEndsAt, o.now)}
                        <div className="sub">{formatStaffTime(d.graceEndsAt)}</div>
                      </td>
                      <td className="num">{d.oldKeyShare === null ? <span className="sub">no traffic</span> : pct(d.oldKeyShare)}</td>
                    </tr>
                  ))}
                </tbody>
              </CardTable>
            </div>
          )}
          <p className="sub">
            {o.scheduledThisWeek} scheduled rotations start this week. &ldquo;Old key traffic&rdquo; is the old key&apos;s share of the last 24 hours&apos;
            verifications.
          </p>
        </section>
        <section className="card" aria-labelledby="states-title">
          <h2 id="states-title">Rotations by state</h2>
          <dl className="facts">
            {STATES.map((s) => (
              <div key={s} style={{ display: "contents" }}>
                <dt>
                  <StatusBadge value={s} />
                </dt>
                <dd className="num-inline">{(o.rotationsByState[s] ?? 0).toLocaleString("en")}</dd>
              </div>
            ))}
          </dl>
          <h2>Open alerts</h2>
          {o.openAlerts.length === 0 ? (
            <p className="sub">No open alerts.</p>
          ) : (
            <ul className="plain">
              {o.openAlerts.map((a) => (
                <li key={a.id}>
                  <span className={`badge ${a.severity === "critical" ? "revoked" : "expiring"}`}>{a.severity}</span> {a.message}{" "}
                  {a.keyId && <Link href={`/dashboard/keys/${a.keyId}`}>key</Link>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
