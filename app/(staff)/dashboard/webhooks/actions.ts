"use server";

import { webhookActions } from "@/lib/webhooks/actions";

const actions = webhookActions("webhooks:manage", "/dashboard/webhooks");

/** Registers an endpoint for every organization or one; the signing secret is returned once (admin). */
export async function createWebhookAction(input: unknown) {
  return actions.create(input);
}
/** Deletes an endpoint and its delivery log (admin). */
export async function deleteWebhookAction(input: unknown) {
  return actions.remove(input);
}
/** A new signing secret, returned once; both sign for 24 hours (admin). */
export async function rotateWebhookSecretAction(input: unknown) {
  return actions.rotate(input);
}
/** Pauses or enables an endpoint (admin). */
export async function toggleWebhookAction(input: unknown) {
  return actions.toggle(input);
}
/** Sends a test event now (admin). */
export async function testWebhookAction(input: unknown) {
  return actions.test(input);
}
/** Sends a delivery again, now (admin). */
export async function resendWebhookDeliveryAction(input: unknown) {
  return actions.resend(input);
}
