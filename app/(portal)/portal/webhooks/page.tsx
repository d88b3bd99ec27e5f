import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { scopeOf } from "@/lib/auth/scope";
import { listWebhookEndpoints } from "@/lib/webhooks/queries";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/schemas";
import { STAFF_ONLY_EVENTS } from "@/lib/webhooks/enqueue";
import { WebhookCreateForm } from "@/components/webhook-forms";
import { WebhookEndpointTable } from "@/components/webhook-views";
import { createWebhookAction } from "./actions";

export const metadata: Metadata = { title: "Webhooks" };

export default async function PortalWebhooksPage() {
  await connection();
  const viewer = await requirePagePermission("portal:use", "/portal/webhooks");
  const endpoints = await listWebhookEndpoints(scopeOf(viewer));
  return (
    <>
      <h1>Webhooks</h1>
      <p className="lede">
        Let your own systems react to a rotation: rekey posts each event of your keys (a rotation scheduled or started, the old key&apos;s deadline, a key
        revoked) to your endpoint, signed per <a href="https://www.standardwebhooks.com">Standard Webhooks</a>. Verify it with the <code>standardwebhooks</code>{" "}
        library and the signing secret shown when you add the endpoint. Events name keys by id and prefix, never the key.
      </p>
      <section className="card">
        <h2 style={{ marginTop: 0 }}>Add an endpoint</h2>
        <WebhookCreateForm create={createWebhookAction} eventTypes={WEBHOOK_EVENT_TYPES.filter((t) => !STAFF_ONLY_EVENTS.has(t))} />
      </section>
      <h2>Your endpoints</h2>
      <div className="table-wrap">
        <WebhookEndpointTable endpoints={endpoints} base="/portal/webhooks" now={new Date()} />
      </div>
    </>
  );
}
