import { createHmac, randomBytes } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is
 * `whsec_` + base64 of 24 random bytes; a message is signed as
 * HMAC-SHA256(secret bytes, `${id}.${timestamp}.${body}`), sent as
 * `v1,<base64>`, several signatures separated by spaces (during a secret
 * rotation both the new and the previous one). Receivers verify with the
 * `standardwebhooks` or `svix` libraries; tests do exactly that.
 */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(24).toString("base64");
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error("not a webhook secret");
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`).digest("base64")}`;
}

/** The `webhook-signature` header: one signature per secret, the current one first. */
export function signatureHeader(secrets: string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => signWebhook(s, id, timestampSeconds, body)).join(" ");
}

/** What an endpoint's signing secret is sealed for (sealSecret's purpose; the endpoint's id is its context). */
export const WEBHOOK_SEAL_PURPOSE = "webhook secret";
