"use server";

import { webhookActions } from "@/lib/webhooks/actions";

const actions = webhookActions("webhooks:manage", "/dashboard/webhooks");

/** Registers an endpoint for every organization or one; the signing secret is returned once (admin). */
export const createWebhookAction = actions.create;
/** Deletes an endpoint and its delivery log (admin). */
export const deleteWebhookAction = actions.remove;
/** A new signing secret, returned once; both sign for 24 hours (admin). */
export const rotateWebhookSecretAction = actions.rotate;
/** Pauses or enables an endpoint (admin). */
export const toggleWebhookAction = actions.toggle;
/** Sends a test event now (admin). */
export const testWebhookAction = actions.test;
/** Sends a delivery again, now (admin). */
export const resendWebhookDeliveryAction = actions.resend;
