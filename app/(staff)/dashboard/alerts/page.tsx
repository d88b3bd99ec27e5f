import Link from "next/link";
import type { Metadata } from "next";
import { connection } from "next/server";
import { formatDistanceStrict } from "date-fns";
import { requirePagePermission } from "@/lib/auth/authorize";
import { roleMay } from "@/lib/auth/permissions";
import { ALERT_FILTERS, listAlerts } from "@/lib/alerts/queries";
import { AlertButtons } from "./_components/alert-buttons";

export const metadata: Metadata = { title: "Alerts" };

type AlertsPageProps = { searchParams: Promise<{ status?: string }> };

export default async function AlertsPage({ searchParams }: AlertsPageProps) {
  await connection();
  const viewer = await requirePagePermission("staff:read", "/dashboard/alerts");
  const asked = (await searchParams).status;
  const status = ALERT_FILTERS.find((s) => s === asked) ?? "open";
  const { alerts, counts } = await listAlerts(status);
  const canAct = roleMay(viewer.role, "keys:rotate");
  const now = new Date();
  return (
    <>
      <h1>Alerts</h1>
      <p className="lede">What a person must look at: failed rotations, keys past their max age, revoked keys still being tried, old keys still in use near their deadline.</p>
      <nav className="filters" aria-label="Alert status">
        {ALERT_FILTERS.map((s) => (
          <Link key={s} className="chip" href={`/dashboard/alerts?status=${s}`} aria-current={s === status ? "page" : undefined}>
            {s} ({counts[s] ?? 0})
          </Link>
        ))}
      </nav>
      <div className="table-wrap" style={{ marginTop: "1rem" }}>
        {alerts.length === 0 ? (
          <p className="empty">{status === "open" ? "No open alerts. Nothing needs you right now." : `No ${status} alerts.`}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Alert</th>
                <th scope="col">Key</th>
                <th scope="col">Raised</th>
                {canAct && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {alerts.map((a) => (
                <tr key={a.id}>
                  <td>
                    <span className={`badge ${a.severity === "critical" ? "revoked" : "expiring"}`}>{a.severity}</span>
                  </td>
                  <td style={{ whiteSpace: "normal" }}>
                    {a.message}
                    <div className="sub">{a.kind.replaceAll("_", " ")}</div>
                  </td>
                  <td>
                    {a.key ? (
                      <>
                        <Link href={`/dashboard/keys/${a.keyId}`}>
                          <code>{a.key.prefix}…</code>
                        </Link>
                        <div className="sub">{a.key.organization.name}</div>
                      </>
                    ) : (
                      <span className="sub">—</span>
                    )}
                  </td>
                  <td className="sub">{formatDistanceStrict(a.createdAt, now)} ago</td>
                  {canAct && (
                    <td>
                      <AlertButtons alertId={a.id} status={a.status} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
