import Link from "next/link";
import { RelativeTime } from "@/components/relative-time";
import { ResendButton, WebhookEndpointActions } from "@/components/webhook-forms";
import type { ActionResult } from "@/lib/http/server-action";
import { CardTable } from "@/components/card-table";

interface EndpointRow {
  id: string;
  url: string;
  description: string;
  format: string;
  events: string[];
  organizationId: string | null;
  organization: { name: string } | null;
  disabledAt: Date | null;
  disabledReason: string | null;
  failingSince: Date | null;
  deliveries: { pending: number; failed: number; sent: number; lastAt: Date | null };
}

/** An endpoint's state as a badge: enabled, failing (since when) or disabled. */
export function EndpointState({ e }: { e: Pick<EndpointRow, "disabledAt" | "failingSince"> }) {
  if (e.disabledAt) return <span className="badge revoked">disabled</span>;
  if (e.failingSince) return <span className="badge warn">failing</span>;
  return <span className="badge active">enabled</span>;
}

/** The endpoints table of the dashboard and the portal (`base`: where an endpoint's page is). */
export function WebhookEndpointTable({
  endpoints,
  base,
  now,
  showOrganization,
}: {
  endpoints: EndpointRow[];
  base: string;
  now: Date;
  showOrganization?: boolean;
}) {
  if (endpoints.length === 0) return <p className="empty">No endpoints yet. Add one above: rekey then posts every rotation event to it, signed.</p>;
  return (
    <CardTable>
      <thead>
        <tr>
          <th scope="col">Endpoint</th>
          {showOrganization && <th scope="col">Events of</th>}
          <th scope="col">Events</th>
          <th scope="col">State</th>
          <th scope="col">Deliveries</th>
          <th scope="col">Last attempt</th>
        </tr>
      </thead>
      <tbody>
        {endpoints.map((e) => (
          <tr key={e.id}>
            <td>
              <Link href={`${base}/${e.id}`}>
                <code>{e.url}</code>
              </Link>
              {e.description && <div className="sub">{e.description}</div>}
            </td>
            {showOrganization && <td>{e.organization?.name ?? "every organization"}</td>}
            <td className="sub">{e.format === "slack" ? "alerts, to Slack" : e.events.length ? e.events.join(", ") : "every event"}</td>
            <td>
              <EndpointState e={e} />
            </td>
            <td className="sub">
              {e.deliveries.sent} sent · {e.deliveries.pending} waiting · {e.deliveries.failed} failed
            </td>
            <td className="sub">{e.deliveries.lastAt ? <RelativeTime at={e.deliveries.lastAt.toISOString()} now={now.toISOString()} /> : "never"}</td>
          </tr>
        ))}
      </tbody>
    </CardTable>
  );
}

interface DeliveryRow {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  createdAt: Date;
}

const STATUS_TONE: Record<string, string> = { sent: "active", pending: "scheduled", failed: "revoked" };

/** An endpoint's delivery log, newest first: what was sent, how it went, when it is tried next; "Resend" on each. */
export function WebhookDeliveryLog({ deliveries, now, resend }: { deliveries: DeliveryRow[]; now: Date; resend: (input: unknown) => Promise<ActionResult> }) {
  if (deliveries.length === 0) return <p className="empty">Nothing delivered yet. Send a test event to check the endpoint.</p>;
  const iso = now.toISOString();
  return (
    <CardTable>
      <caption className="sub" style={{ textAlign: "left", padding: "0.5rem 0.75rem" }}>
        {deliveries.length === 1 ? "The latest delivery." : `The latest ${deliveries.length} deliveries.`} Each has one id (the <code>webhook-id</code> header)
        on every attempt: receivers deduplicate on it.
      </caption>
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">Status</th>
          <th scope="col">Response</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last attempt</th>
          <th scope="col">Next attempt</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.id}>
            <td>
              <code>{d.eventType}</code>
              <div className="sub">
                <code>{d.id}</code>
              </div>
            </td>
            <td>
              <span className={`badge ${STATUS_TONE[d.status] ?? "neutral"}`}>{d.status === "pending" && d.attempts > 0 ? "retrying" : d.status}</span>
            </td>
            <td className="sub">
              {d.lastStatusCode !== null ? `HTTP ${d.lastStatusCode}` : d.lastAttemptAt ? "no answer" : "—"}
              {d.lastLatencyMs !== null && ` · ${d.lastLatencyMs} ms`}
              {d.lastError && d.status !== "sent" && <div className="bad-text">{d.lastError}</div>}
            </td>
            <td className="sub">{d.attempts}</td>
            <td className="sub">{d.lastAttemptAt ? <RelativeTime at={d.lastAttemptAt.toISOString()} now={iso} /> : "not yet"}</td>
            <td className="sub">{d.status === "pending" ? <RelativeTime at={d.nextAttemptAt.toISOString()} now={iso} /> : "—"}</td>
            <td>
              <ResendButton deliveryId={d.id} resend={resend} />
            </td>
          </tr>
        ))}
      </tbody>
    </CardTable>
  );
}

type Action<T = unknown> = (input: unknown) => Promise<ActionResult<T>>;

interface EndpointDetail {
  id: string;
  url: string;
  description: string;
  format: string;
  events: string[];
  organization: { name: string } | null;
  previousSecretUntil: Date | null;
  failingSince: Date | null;
  disabledAt: Date | null;
  disabledReason: string | null;
}

/**
 * An endpoint's page, the dashboard's and the portal's alike (`base`: the
 * list's path; `actions`: that side's server actions): its state and
 * subscription, its buttons, its delivery log.
 */
export function WebhookEndpointPage({
  endpoint: e,
  deliveries,
  base,
  now,
  actions,
}: {
  endpoint: EndpointDetail;
  deliveries: DeliveryRow[];
  base: string;
  now: Date;
  actions: { test: Action; rotate: Action<{ secret: string }>; toggle: Action; remove: Action; resend: Action };
}) {
  const iso = now.toISOString();
  return (
    <>
      <p className="sub">
        <Link href={base}>← Webhooks</Link>
      </p>
      <h1 style={{ wordBreak: "break-all" }}>
        <code>{e.url}</code>
      </h1>
      <dl className="facts card">
        <dt>State</dt>
        <dd>
          <EndpointState e={e} /> {e.disabledReason && <span className="sub">{e.disabledReason}</span>}
          {e.failingSince && !e.disabledAt && (
            <span className="sub">
              {" "}
              every attempt failed since <RelativeTime at={e.failingSince.toISOString()} now={iso} />
            </span>
          )}
        </dd>
        <dt>Events of</dt>
        {/* Only a staff endpoint for every organization receives alerts (lib/webhooks/enqueue.ts); a customer's names their organization. */}
        <dd>{e.organization?.name ?? "every organization (and alerts)"}</dd>
        <dt>Events</dt>
        <dd>{e.format === "slack" ? "alerts, as Slack messages" : e.events.length ? e.events.join(", ") : "every event"}</dd>
        {e.description && (
          <>
            <dt>Description</dt>
            <dd>{e.description}</dd>
          </>
        )}
        {e.previousSecretUntil && e.previousSecretUntil > now && (
          <>
            <dt>Secret rotation</dt>
            <dd>
              the previous secret also signs until <RelativeTime at={e.previousSecretUntil.toISOString()} now={iso} />
            </dd>
          </>
        )}
      </dl>
      <WebhookEndpointActions id={e.id} disabled={!!e.disabledAt} signed={e.format !== "slack"} listHref={base} actions={actions} />
      <h2>Delivery log</h2>
      <div className="table-wrap">
        <WebhookDeliveryLog deliveries={deliveries} now={now} resend={actions.resend} />
      </div>
    </>
  );
}
