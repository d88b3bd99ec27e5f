import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { deleteWebhookEndpoint } from "@/lib/webhooks/mutations";
import { getWebhookEndpoint } from "@/lib/webhooks/queries";

/** The endpoint and its latest 50 deliveries (the delivery log). */
export const GET = managementHandler(async ({ params }) => {
  const { endpoint, deliveries } = await getWebhookEndpoint(params.id, {});
  return jsonNoStore({ webhook: endpoint, deliveries });
});

/** Deletes the endpoint and its delivery log. */
export const DELETE = managementHandler(async ({ params, actor, now }) => jsonNoStore(await deleteWebhookEndpoint(params.id, { actor, now })));
