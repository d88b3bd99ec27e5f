import { z } from "zod";

/** The agent's delivery report (POST /api/v1/keys/self/reports): here, apart from lib/rotations/agent.ts, so the OpenAPI document reads it. */
const label = z.string().trim().min(1, "must not be empty").max(300, "must be at most 300 characters");

export const MAX_REPORTED_DESTINATIONS = 50;

export const agentReportSchema = z.object({
  outcome: z.enum(["delivered", "failed"], { error: "must be delivered or failed" }),
  destinations: z.array(label).max(MAX_REPORTED_DESTINATIONS, `must list at most ${MAX_REPORTED_DESTINATIONS}`),
  failedAt: label.optional(),
  message: z.string().trim().max(1000, "must be at most 1000 characters").optional(),
});
