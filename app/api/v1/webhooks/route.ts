import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { ValidationError } from "@/lib/errors";
import { createWebhookSchema } from "@/lib/webhooks/schemas";
import { createWebhookEndpoint } from "@/lib/webhooks/mutations";
import { listWebhookEndpoints } from "@/lib/webhooks/queries";

/** Every webhook endpoint (or one organization's, `?organizationId=`), with its delivery counts; never a secret. */
export const GET = managementHandler(async ({ request }) => {
  const organizationId = new URL(request.url).searchParams.get("organizationId") ?? undefined;
  if (organizationId !== undefined && (organizationId.length === 0 || organizationId.length > 100))
    throw new ValidationError("organizationId: must be an organization's id", "organizationId");
  return jsonNoStore({ webhooks: await listWebhookEndpoints({}, { organizationId }) });
});

/** Registers an endpoint; the answer holds its signing secret (`whsec_…`), this once. */
export const POST = managementHandler({ body: createWebhookSchema }, async ({ body, actor, now }) => {
  const { endpoint, secret } = await createWebhookEndpoint(body, { actor, now });
  return jsonNoStore({ webhook: endpoint, secret: secret ?? null }, 201);
});
