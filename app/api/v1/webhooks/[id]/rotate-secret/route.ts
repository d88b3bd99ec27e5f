import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { rotateWebhookSecret } from "@/lib/webhooks/mutations";

/** A new signing secret, answered once; for 24 hours deliveries carry both signatures. */
export const POST = managementHandler(async ({ params, actor, now }) => {
  const { endpoint, secret } = await rotateWebhookSecret(params.id, { actor, now });
  return jsonNoStore({ webhook: endpoint, secret });
});
