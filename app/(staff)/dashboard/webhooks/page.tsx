import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { getPrisma } from "@/lib/db";
import { listWebhookEndpoints } from "@/lib/webhooks/queries";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/schemas";
import { WebhookCreateForm } from "@/components/webhook-forms";
import { WebhookEndpointTable } from "@/components/webhook-views";
import { createWebhookAction } from "./actions";

export const metadata: Metadata = { title: "Webhooks" };

export default async function WebhooksPage() {
  await connection();
  await requirePagePermission("webhooks:manage", "/dashboard/webhooks");
  const prisma = await getPrisma();
  const [endpoints, organizations] = await Promise.all([
    listWebhookEndpoints({}),
    prisma.organization.findMany({ where: { deletedAt: null }, select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  return (
    <>
      <h1>Webhooks</h1>
      <p className="lede">
        rekey posts every rotation event (scheduled, started, completed, a key revoked, an alert…) to these endpoints, signed per{" "}
        <a href="https://www.standardwebhooks.com">Standard Webhooks</a>: verify with the <code>standardwebhooks</code> or <code>svix</code> library and the
        endpoint&apos;s secret, and deduplicate on <code>webhook-id</code>. Payloads name keys by id and prefix, never the key. Customers add their own in the
        portal.
      </p>
      <section className="card">
        <h2 style={{ marginTop: 0 }}>Add an endpoint</h2>
        <WebhookCreateForm create={createWebhookAction} eventTypes={WEBHOOK_EVENT_TYPES} organizations={organizations} allowSlack />
      </section>
      <h2>Endpoints</h2>
      <div className="table-wrap">
        <WebhookEndpointTable endpoints={endpoints} base="/dashboard/webhooks" now={new Date()} showOrganization />
      </div>
    </>
  );
}
