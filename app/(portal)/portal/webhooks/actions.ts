"use server";

import { webhookActions } from "@/lib/webhooks/actions";

const actions = webhookActions("portal:use", "/portal/webhooks");

/** Registers an endpoint for the customer's organization; the signing secret is returned once (a customer: their organization's endpoints). */
export async function createWebhookAction(input: unknown) {
  return actions.create(input);
}
/** Deletes an endpoint and its delivery log (a customer: their organization's endpoints). */
export async function deleteWebhookAction(input: unknown) {
  return actions.remove(input);
}
/** A new signing secret, returned once; both sign for 24 hours (a customer: their organization's endpoints). */
export async function rotateWebhookSecretAction(input: unknown) {
  return actions.rotate(input);
}
/** Pauses or enables an endpoint (a customer: their organization's endpoints). */
export async function toggleWebhookAction(input: unknown) {
  return actions.toggle(input);
}
/** Sends a test event now (a customer: their organization's endpoints). */
export async function testWebhookAction(input: unknown) {
  return actions.test(input);
}
/** Sends a delivery again, now (a customer: their organization's endpoints). */
export async function resendWebhookDeliveryAction(input: unknown) {
  return actions.resend(input);
}
