import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { NotFoundError } from "@/lib/errors";
import { getWebhookEndpoint } from "@/lib/webhooks/queries";
import { WebhookEndpointPage } from "@/components/webhook-views";
import { deleteWebhookAction, resendWebhookDeliveryAction, rotateWebhookSecretAction, testWebhookAction, toggleWebhookAction } from "../actions";

export const metadata: Metadata = { title: "Webhook endpoint" };

export default async function EndpointPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const { id } = await params;
  await requirePagePermission("webhooks:manage", `/dashboard/webhooks/${id}`);
  const found = await getWebhookEndpoint(id, {}).catch((e) => (e instanceof NotFoundError ? null : Promise.reject(e)));
  if (!found) notFound();
  return (
    <WebhookEndpointPage
      endpoint={found.endpoint}
      deliveries={found.deliveries}
      base="/dashboard/webhooks"
      now={new Date()}
      actions={{
        test: testWebhookAction,
        rotate: rotateWebhookSecretAction,
        toggle: toggleWebhookAction,
        remove: deleteWebhookAction,
        resend: resendWebhookDeliveryAction,
      }}
    />
  );
}
