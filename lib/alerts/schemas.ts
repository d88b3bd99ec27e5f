import { z } from "zod";

export const alertActionSchema = z.object({
  alertId: z.string().min(1, "is required"),
  note: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});
export type AlertActionInput = z.input<typeof alertActionSchema>;

export const ALERT_STATES = ["open", "acknowledged", "resolved"] as const;
export const ALERT_SEVERITIES = ["critical", "warning", "info"] as const;

/** The inbox's filter: a state, and optionally a type, a severity and an organization. */
export const alertFilterSchema = z.object({
  state: z.enum(ALERT_STATES, "must be open, acknowledged or resolved"),
  kind: z.string().max(100).optional(),
  severity: z.string().max(20).optional(),
  organizationId: z.string().max(100).optional(),
});
export type AlertFilter = z.output<typeof alertFilterSchema>;

/** A bulk change: the selected alerts (at most a page's worth and some), or all matching a filter. */
export const bulkAlertActionSchema = z.union([
  z.object({ alertIds: z.array(z.string().min(1)).min(1, "select at least one alert").max(500), note: z.string().trim().max(1000).optional() }),
  z.object({ filter: alertFilterSchema, note: z.string().trim().max(1000).optional() }),
]);
export type BulkAlertActionInput = z.input<typeof bulkAlertActionSchema>;

/** The undo of a bulk acknowledgement: the alerts it acknowledged and its instant. */
export const undoAcknowledgeSchema = z.object({
  alertIds: z.array(z.string().min(1)).min(1).max(100_000),
  at: z.coerce.date("must be a time"),
});
export type UndoAcknowledgeInput = z.input<typeof undoAcknowledgeSchema>;
