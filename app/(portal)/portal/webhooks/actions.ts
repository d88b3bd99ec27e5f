"use server";

import { webhookActions } from "@/lib/webhooks/actions";

const actions = webhookActions("portal:use", "/portal/webhooks");

/** Registers an endpoint for the customer's organization; the signing secret is returned once (a customer: their organization's endpoints). */
export const createWebhookAction = actions.create;
/** Deletes an endpoint and its delivery log (a customer: their organization's endpoints). */
export const deleteWebhookAction = actions.remove;
/** A new signing secret, returned once; both sign for 24 hours (a customer: their organization's endpoints). */
export const rotateWebhookSecretAction = actions.rotate;
/** Pauses or enables an endpoint (a customer: their organization's endpoints). */
export const toggleWebhookAction = actions.toggle;
/** Sends a test event now (a customer: their organization's endpoints). */
export const testWebhookAction = actions.test;
/** Sends a delivery again, now (a customer: their organization's endpoints). */
export const resendWebhookDeliveryAction = actions.resend;
