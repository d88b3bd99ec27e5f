import { z } from "zod";

/** Longest grace period accepted: 30 days. */
export const MAX_GRACE_HOURS = 24 * 30;

/** What a rotation request says about the rotation (the API's body: the key is in its path). */
export const rotationFieldsSchema = z.object({
  kind: z.enum(["scheduled", "manual", "emergency"], "must be scheduled, manual or emergency"),
  scheduledAt: z.coerce.date("must be a date and time").optional(),
  gracePeriodHours: z
    .int("must be a whole number of hours")
    .min(0, "must not be negative")
    .max(MAX_GRACE_HOURS, `must be at most ${MAX_GRACE_HOURS} hours`)
    .optional(),
  reason: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
  deliver: z.enum(["portal", "response"], "must be portal or response").default("portal"),
});

export const rotationRequestSchema = rotationFieldsSchema.extend({ keyId: z.string().min(1, "is required") }).superRefine((value, ctx) => {
  if (value.kind === "scheduled" && !value.scheduledAt) {
    ctx.addIssue({ code: "custom", path: ["scheduledAt"], message: "is required for a scheduled rotation" });
  }
  if (value.kind !== "scheduled" && value.scheduledAt) {
    ctx.addIssue({ code: "custom", path: ["scheduledAt"], message: `is only for a scheduled rotation; a ${value.kind} rotation starts now` });
  }
  if (value.kind === "emergency" && !value.reason) {
    ctx.addIssue({ code: "custom", path: ["reason"], message: "is required for an emergency rotation" });
  }
  if (value.kind !== "emergency" && value.gracePeriodHours === 0) {
    ctx.addIssue({ code: "custom", path: ["gracePeriodHours"], message: "may be 0 (revoke now) only for an emergency rotation" });
  }
});
export type RotationRequest = z.input<typeof rotationRequestSchema>;

export const closeRotationSchema = z.object({
  rotationId: z.string().min(1, "is required"),
  reason: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});
export type CloseRotationRequest = z.input<typeof closeRotationSchema>;

/** Scheduling a rotation for every key a keys-table filter matches. */
export const bulkScheduleSchema = z.object({
  status: z.enum(["active", "expiring", "revoked", "expired"]).optional().catch(undefined),
  environment: z.enum(["live", "test"]).optional().catch(undefined),
  organizationId: z.string().max(100).optional(),
  overdue: z.boolean().optional(),
  scheduledAt: z.coerce.date("must be a date and time"),
  reason: z.string().trim().min(1, "is required").max(1000, "must be at most 1000 characters"),
});
export type BulkScheduleRequest = z.input<typeof bulkScheduleSchema>;

/** A customer (or staff for them) postponing a scheduled rotation within policy. */
export const postponeRotationSchema = z.object({
  rotationId: z.string().min(1, "is required"),
  reason: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});
export type PostponeRotationRequest = z.input<typeof postponeRotationSchema>;
