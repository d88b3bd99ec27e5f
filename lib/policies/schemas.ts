import { z } from "zod";
import { MAX_AGE_WITHOUT_REASON_DAYS } from "./defaults";

export { MAX_AGE_WITHOUT_REASON_DAYS };

/** "1 day", "2 days": `unit` is the plural. */
const count = (n: number, unit: string) => `${n} ${n === 1 ? unit.replace(/s$/, "") : unit}`;
const int = (min: number, max: number, unit: string) =>
  z.coerce
    .number(`must be a number of ${unit}`)
    .int(`must be a whole number of ${unit}`)
    .min(min, `must be at least ${count(min, unit)}`)
    .max(max, `must be at most ${count(max, unit)}`);

/**
 * Why these settings are outside the usual bounds (then a policy needs an
 * exception reason), or null: a max age above a year, or one so short that a
 * key's notice and grace do not fit in it (it would be overdue before its
 * rotation could end).
 */
export function policyBoundsExceeded(p: { maxAgeDays: number; gracePeriodHours: number; noticeDays: number }): string | null {
  if (p.maxAgeDays > MAX_AGE_WITHOUT_REASON_DAYS) return `a max age of ${p.maxAgeDays} days is above ${MAX_AGE_WITHOUT_REASON_DAYS}`;
  if (p.maxAgeDays * 24 < p.gracePeriodHours + p.noticeDays * 24) {
    return `a max age of ${p.maxAgeDays} days is shorter than the notice (${p.noticeDays} days) plus the grace period (${p.gracePeriodHours} hours)`;
  }
  return null;
}

/** A rotation policy's settings (DOMAIN.md: Rotation policy), with the rules that tie them together. */
export const policySettingsSchema = z
  .object({
    maxAgeDays: int(1, 3650, "days"),
    gracePeriodHours: int(1, 720, "hours"),
    emergencyGraceHours: int(0, 168, "hours"),
    /** Absent in older callers: 0, a leaked key revoked at once. */
    leakGraceHours: int(0, 168, "hours").optional().default(0),
    noticeDays: int(0, 90, "days"),
    maxPostponements: int(0, 10, "postponements"),
    postponeDays: int(1, 365, "days"),
    waitForSuccessorUse: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
    customersManageKeys: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
    emergencyOnReuse: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
    /** Absent in older callers: false, the grace kept to its deadline. */
    endGraceOnConfirmedUse: z
      .preprocess((v) => v === true || v === "on" || v === "true", z.boolean())
      .optional()
      .default(false),
    /** Required when the settings are outside the usual bounds (policyBoundsExceeded); kept only then. */
    exceptionReason: z
      .string("must be text")
      .trim()
      .max(500, "must be at most 500 characters")
      .optional()
      .nullable()
      .transform((v) => v || null),
  })
  .superRefine((p, ctx) => {
    if (p.leakGraceHours > p.emergencyGraceHours) {
      ctx.addIssue({ code: "custom", path: ["leakGraceHours"], message: "must not be longer than the emergency grace" });
    }
    if (p.emergencyGraceHours > p.gracePeriodHours) {
      ctx.addIssue({ code: "custom", path: ["emergencyGraceHours"], message: "must not be longer than the normal grace period" });
    }
    if (p.noticeDays >= p.maxAgeDays) {
      ctx.addIssue({ code: "custom", path: ["noticeDays"], message: "must be shorter than the max age, or the notice would come before the key exists" });
    }
    // Last: a contradiction above is the first thing to mend, not a reason for it.
    const outside = policyBoundsExceeded(p);
    if (outside && (!p.exceptionReason || p.exceptionReason.length < 10)) {
      ctx.addIssue({ code: "custom", path: ["exceptionReason"], message: `is required, at least 10 characters: ${outside}, so an admin must record why` });
    }
  });

export const updatePolicySchema = z.object({ policyId: z.string().min(1, "is required") }).and(policySettingsSchema);
export type UpdatePolicyInput = z.input<typeof updatePolicySchema>;

export const createPolicySchema = z
  .object({ name: z.string("must be text").trim().min(1, "is required").max(100, "must be at most 100 characters") })
  .and(policySettingsSchema);
export type CreatePolicyInput = z.input<typeof createPolicySchema>;

export const assignPolicySchema = z.object({
  organizationId: z.string().min(1, "is required"),
  /** Empty: the organization follows the default policy. */
  policyId: z
    .string()
    .optional()
    .transform((v) => v || null),
});
