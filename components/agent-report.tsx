import type { AgentReportView } from "@/lib/rotations/agent";

/**
 * What the customer's agent last said about delivering a rotation's new key:
 * "Delivered by the agent to 3 destinations at …" (the destinations listed
 * below), or "Delivery failed at <destination> at …" with its reason.
 */
export function AgentReport({ report, format }: { report: AgentReportView; format: (at: Date) => string }) {
  const n = report.destinations.length;
  const where = `${n} destination${n === 1 ? "" : "s"}`;
  return report.outcome === "delivered" ? (
    <div className="agent-report">
      <span className="badge active">delivered</span> Delivered by the agent to {where} at {format(report.reportedAt)}.
      {n > 0 && (
        <ul className="sub agent-destinations">
          {report.destinations.map((d) => (
            <li key={d}>
              <code>{d}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  ) : (
    <div className="agent-report">
      <span className="badge revoked">delivery failed</span> Delivery failed at <code>{report.failedAt}</code> at {format(report.reportedAt)}
      {report.message ? `: ${report.message}` : ""}. The agent kept the old key and retries on its next run.
    </div>
  );
}
