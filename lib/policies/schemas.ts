import { z } from "zod";

const int = (min: number, max: number, unit: string) =>
  z.coerce.number(`must be a number of ${unit}`).int(`must be a whole number of ${unit}`).min(min, `must be at least ${min} ${unit}`).max(max, `must be at most ${max} ${unit}`);

/** A rotation policy's settings (DOMAIN.md: Rotation policy), with the rules that tie them together. */
export const policySettingsSchema = z
  .object({
    maxAgeDays: int(1, 3650, "days"),
    gracePeriodHours: int(1, 720, "hours"),
    emergencyGraceHours: int(0, 168, "hours"),
    noticeDays: int(0, 90, "days"),
    maxPostponements: int(0, 10, "postponements"),
    postponeDays: int(1, 365, "days"),
    waitForSuccessorUse: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
    customersManageKeys: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
    emergencyOnReuse: z.preprocess((v) => v === true || v === "on" || v === "true", z.boolean()),
  })
  .superRefine((p, ctx) => {
    if (p.emergencyGraceHours > p.gracePeriodHours) {
      ctx.addIssue({ code: "custom", path: ["emergencyGraceHours"], message: "must not be longer than the normal grace period" });
    }
    if (p.noticeDays >= p.maxAgeDays) {
      ctx.addIssue({ code: "custom", path: ["noticeDays"], message: "must be shorter than the max age, or the notice would come before the key exists" });
    }
  });

export const updatePolicySchema = z.object({ policyId: z.string().min(1, "is required") }).and(policySettingsSchema);
export type UpdatePolicyInput = z.input<typeof updatePolicySchema>;

export const assignPolicySchema = z.object({
  organizationId: z.string().min(1, "is required"),
  /** Empty: the organization follows the default policy. */
  policyId: z.string().optional().transform((v) => v || null),
});
