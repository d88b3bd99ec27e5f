import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { NotFoundError } from "@/lib/errors";
import { getWebhookEndpoint } from "@/lib/webhooks/queries";
import { WebhookEndpointActions } from "@/components/webhook-forms";
import { EndpointState, WebhookDeliveryLog } from "@/components/webhook-views";
import { RelativeTime } from "@/components/relative-time";
import { deleteWebhookAction, resendWebhookDeliveryAction, rotateWebhookSecretAction, testWebhookAction, toggleWebhookAction } from "../actions";

export const metadata: Metadata = { title: "Webhook endpoint" };

export default async function WebhookEndpointPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const { id } = await params;
  await requirePagePermission("webhooks:manage", `/dashboard/webhooks/${id}`);
  const found = await getWebhookEndpoint(id, {}).catch((e) => (e instanceof NotFoundError ? null : Promise.reject(e)));
  if (!found) notFound();
  const { endpoint: e, deliveries } = found;
  const now = new Date();
  return (
    <>
      <p className="sub">
        <Link href="/dashboard/webhooks">← Webhooks</Link>
      </p>
      <h1 style={{ wordBreak: "break-all" }}>
        <code>{e.url}</code>
      </h1>
      <dl className="facts card">
        <dt>State</dt>
        <dd>
          <EndpointState e={e} /> {e.disabledReason && <span className="sub">{e.disabledReason}</span>}
          {e.failingSince && !e.disabledAt && <span className="sub"> every attempt failed since <RelativeTime at={e.failingSince.toISOString()} now={now.toISOString()} /></span>}
        </dd>
        <dt>Events of</dt>
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
              the previous secret also signs until <RelativeTime at={e.previousSecretUntil.toISOString()} now={now.toISOString()} />
            </dd>
          </>
        )}
      </dl>
      <WebhookEndpointActions
        id={e.id}
        disabled={!!e.disabledAt}
        signed={e.format !== "slack"}
        listHref="/dashboard/webhooks"
        actions={{ test: testWebhookAction, rotate: rotateWebhookSecretAction, toggle: toggleWebhookAction, remove: deleteWebhookAction }}
      />
      <h2>Delivery log</h2>
      <div className="table-wrap">
        <WebhookDeliveryLog deliveries={deliveries} now={now} resend={resendWebhookDeliveryAction} />
      </div>
    </>
  );
}
