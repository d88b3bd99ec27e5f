import "server-only";
import { revalidatePath } from "next/cache";
import { serverAction } from "../http/server-action";
import type { Permission } from "../auth/permissions";
import { createWebhookSchema, deliveryIdSchema, webhookIdSchema, webhookToggleSchema } from "./schemas";
import { createWebhookEndpoint, deleteWebhookEndpoint, resendDeliveryNow, rotateWebhookSecret, sendTestEvent, setWebhookEndpointEnabled } from "./mutations";

const outcome = (d: { status: string; lastStatusCode: number | null; lastLatencyMs: number | null; lastError: string | null }) =>
  d.status === "sent"
    ? `Delivered: HTTP ${d.lastStatusCode} in ${d.lastLatencyMs} ms.`
    : `Not delivered: ${d.lastError ?? "no answer"}. It is retried on the schedule.`;

/**
 * The webhook server actions, made once for the dashboard (staff, every
 * organization) and the portal (a customer, their own organization, by the
 * viewer's scope): `base` is the pages' path, revalidated after a change.
 */
export function webhookActions(permission: Permission, base: string) {
  return {
    create: serverAction(permission, createWebhookSchema, async (input, { actor, scope, now }) => {
      const { endpoint, secret } = await createWebhookEndpoint(input, { actor, now, scope });
      revalidatePath(base);
      return {
        message: secret ? `Endpoint added. Copy its signing secret now: it is not shown again.` : "Slack endpoint added.",
        data: { id: endpoint.id, secret },
      };
    }),
    remove: serverAction(permission, webhookIdSchema, async (input, { actor, scope, now }) => {
      await deleteWebhookEndpoint(input.id, { actor, now, scope });
      revalidatePath(base);
      return { message: "Endpoint deleted." };
    }),
    rotate: serverAction(permission, webhookIdSchema, async (input, { actor, scope, now }) => {
      const { secret } = await rotateWebhookSecret(input.id, { actor, now, scope });
      revalidatePath(`${base}/${input.id}`);
      return { message: "New signing secret made. For 24 hours deliveries are signed with both the old and the new one.", data: { secret } };
    }),
    toggle: serverAction(permission, webhookToggleSchema, async (input, { actor, scope, now }) => {
      await setWebhookEndpointEnabled(input.id, input.enabled, { actor, now, scope });
      revalidatePath(`${base}/${input.id}`);
      return { message: input.enabled ? "Endpoint enabled: held deliveries go out at the next run." : "Endpoint paused: deliveries wait until you enable it." };
    }),
    test: serverAction(permission, webhookIdSchema, async (input, { actor, scope, now }) => {
      const d = await sendTestEvent(input.id, { actor, now, scope });
      revalidatePath(`${base}/${input.id}`);
      return { message: `Test event ${d.id}: ${outcome(d)}` };
    }),
    resend: serverAction(permission, deliveryIdSchema, async (input, { actor, scope, now }) => {
      const d = await resendDeliveryNow(input.deliveryId, { actor, now, scope });
      revalidatePath(`${base}/${d.endpointId}`);
      return { message: `Sent again (${d.id}): ${outcome(d)}` };
    }),
  };
}
