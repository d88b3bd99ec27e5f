import { publicHandler, jsonNoStore } from "@/lib/http/api-handler";
import { withPresentedKey } from "@/lib/http/key-auth";
import { createRateLimit } from "@/lib/http/rate-limit";
import { recordAgentReport } from "@/lib/rotations/agent";
import { agentReportSchema } from "@/lib/rotations/agent-schemas";
import { parseInput } from "@/lib/validation";

const limits = {
  perAddress: createRateLimit({ name: "agent-report:address", points: 20, durationSeconds: 60 }),
  perKey: createRateLimit({ name: "agent-report:key", points: 10, durationSeconds: 60 }),
  what: "delivery reports",
};

/**
 * The agent's report on delivering a rotation's new key (packages/agent):
 * sent with the new key once delivered, or with the old key when a
 * destination or the check failed. Shown on the key's page and in the
 * portal; a failure raises an alert.
 */
export const POST = publicHandler((ctx) =>
  withPresentedKey(ctx, limits, async (_presented, record) =>
    jsonNoStore(await recordAgentReport(record.keyId, parseInput(agentReportSchema, await ctx.readJson()), ctx.now), 201),
  ),
);
