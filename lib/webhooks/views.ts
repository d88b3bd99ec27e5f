/** What an endpoint shows (pages, the API): never its secret. */
export const webhookEndpointSelect = {
  id: true,
  organizationId: true,
  url: true,
  description: true,
  format: true,
  events: true,
  createdAt: true,
  createdBy: true,
  previousSecretUntil: true,
  failingSince: true,
  disabledAt: true,
  disabledReason: true,
} as const;

export const webhookDeliverySelect = {
  id: true,
  endpointId: true,
  eventType: true,
  keyId: true,
  status: true,
  attempts: true,
  nextAttemptAt: true,
  lastAttemptAt: true,
  lastStatusCode: true,
  lastLatencyMs: true,
  lastError: true,
  sentAt: true,
  createdAt: true,
} as const;
