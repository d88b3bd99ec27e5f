/**
 * A max age above this many days is an exception to the usual bounds and needs
 * a recorded reason (lib/policies/schemas.ts). Here, not beside the schemas,
 * so the policy form can show it without bundling zod into the page (zod
 * probes eval, which the pages' CSP forbids).
 */
export const MAX_AGE_WITHOUT_REASON_DAYS = 365;

/** The defaults of DOMAIN.md, used where an organization has no policy and no default policy exists. */
export const DEFAULT_POLICY = {
  name: "Default",
  maxAgeDays: 90,
  gracePeriodHours: 72,
  emergencyGraceHours: 4,
  leakGraceHours: 0,
  noticeDays: 7,
  maxPostponements: 2,
  postponeDays: 30,
  waitForSuccessorUse: false,
  customersManageKeys: false,
  emergencyOnReuse: false,
  endGraceOnConfirmedUse: false,
  exceptionReason: null,
} as const;

export type EffectivePolicy = {
  id: string | null;
  name: string;
  maxAgeDays: number;
  gracePeriodHours: number;
  emergencyGraceHours: number;
  /** Grace for a key reported leaked (GitHub secret scanning, a scanner, a person): 0 revokes it at once. */
  leakGraceHours: number;
  noticeDays: number;
  maxPostponements: number;
  postponeDays: number;
  waitForSuccessorUse: boolean;
  /** Customers may issue and revoke their organization's keys in the portal. */
  customersManageKeys: boolean;
  /** A second self-rotation during grace (possible compromise) emergency-rotates the key and its family, not only alerts. */
  emergencyOnReuse: boolean;
  /** The agent's confirmed delivery, then the new key's use, ends the old key's grace at once (lib/rotations/agent.ts). */
  endGraceOnConfirmedUse: boolean;
  /** Why the policy is outside the usual bounds (lib/policies/schemas.ts policyBoundsExceeded), or null. */
  exceptionReason: string | null;
};
