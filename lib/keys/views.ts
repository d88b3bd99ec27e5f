/** The columns of a key that may be shown: everything but its hash. */
export const keyViewSelect = {
  id: true,
  organizationId: true,
  name: true,
  environment: true,
  prefix: true,
  scopes: true,
  rateLimit: true,
  externalId: true,
  metadata: true,
  status: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  expiresAt: true,
  predecessorId: true,
} as const;

/** A key's state as the audit trail records it. */
export function keyAuditState(key: { status: string; prefix: string }) {
  return { status: key.status, prefix: key.prefix };
}
