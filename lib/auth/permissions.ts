/**
 * Who may do what (DOMAIN.md: People). The one table every check reads; the
 * UI uses it only to hide what a role cannot do, never as the check.
 */
export type Role = "admin" | "operator" | "auditor" | "customer";

export const PERMISSIONS = {
  /** See every key, rotation, organization and the audit trail. */
  "staff:read": ["admin", "operator", "auditor"],
  /** Issue, schedule, rotate, emergency-rotate, cancel, roll back. */
  "keys:rotate": ["admin", "operator"],
  "policies:edit": ["admin"],
  "users:manage": ["admin"],
  "tokens:manage": ["admin"],
  "reports:download": ["admin", "auditor"],
  /** Postpone a scheduled rotation within policy: a customer for their organization's keys, staff for anyone. */
  "rotations:postpone": ["admin", "operator", "customer"],
  /**
   * The self-service portal: see the organization's keys, reveal and re-roll
   * a new key, rotate a key now, set the notification contacts (and issue and
   * revoke keys where the policy allows). Always scoped to the customer's own
   * organization (lib/auth/scope.ts).
   */
  "portal:use": ["customer"],
  /** Register, test and delete webhook endpoints for every organization (customers: their own, through portal:use). DOMAIN.md: an operator may what an admin may but users and policies. */
  "webhooks:manage": ["admin", "operator"],
  /** See the email outbox, deliver it now, retry a failed email. */
  "outbox:manage": ["admin"],
  /** One's own account: see and end one's sessions, change one's password (staff). */
  "account:manage": ["admin", "operator", "auditor", "customer"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function roleMay(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}
