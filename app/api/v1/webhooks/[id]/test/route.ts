import { managementHandler, jsonNoStore } from "@/lib/http/api-handler";
import { sendTestEvent } from "@/lib/webhooks/mutations";

/** Sends a `webhook.test` event now and answers how it went (status, response code, latency). */
export const POST = managementHandler(async ({ params, actor, now }) => jsonNoStore({ delivery: await sendTestEvent(params.id, { actor, now }) }));
