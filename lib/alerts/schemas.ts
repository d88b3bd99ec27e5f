import { z } from "zod";

export const alertActionSchema = z.object({
  alertId: z.string().min(1, "is required"),
  note: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});
export type AlertActionInput = z.input<typeof alertActionSchema>;
