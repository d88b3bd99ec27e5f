import type { EffectivePolicy } from "../policies/defaults";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

type Allowance = Pick<EffectivePolicy, "maxAgeDays" | "maxPostponements" | "postponeDays">;

/**
 * The latest moment a key created at `createdAt` may still work under its
 * policy: its max age plus the postponements the policy grants. No rotation
 * may leave its old key working past it (DOMAIN.md: a key cannot outlive
 * its policy by any route).
 */
export function latestDeadline(createdAt: Date, policy: Allowance): Date {
  return new Date(createdAt.getTime() + (policy.maxAgeDays + policy.maxPostponements * policy.postponeDays) * DAY_MS);
}

/** The latest a rotation with `graceHours` of grace may start: latestDeadline less its grace. */
export function latestAllowedStart(createdAt: Date, policy: Allowance, graceHours: number): Date {
  return new Date(latestDeadline(createdAt, policy).getTime() - graceHours * HOUR_MS);
}

/**
 * The same bound in SQL, for set-based statements: `k` is api_keys, `ep` a
 * row of EFFECTIVE_POLICY_SQL, `grace` an expression in hours.
 */
export function latestAllowedStartSql(grace: string): string {
  return `(k."createdAt" + make_interval(days => ep."maxAgeDays" + ep."maxPostponements" * ep."postponeDays") - make_interval(hours => ${grace}))`;
}
