import { publicHandler, jsonNoStore } from "@/lib/http/api-handler";
import { withPresentedKey } from "@/lib/http/key-auth";
import { createRateLimit } from "@/lib/http/rate-limit";
import { keyStanding } from "@/lib/rotations/agent";

const limits = {
  perAddress: createRateLimit({ name: "self:address", points: 60, durationSeconds: 60 }),
  perKey: createRateLimit({ name: "self:key", points: 30, durationSeconds: 60 }),
  what: "key standing requests",
};

/**
 * The calling key's standing (`Authorization: Bearer rk_…`): its age against
 * its policy, its open rotation, and whether it is due for rotation, which is
 * what the agent (packages/agent) asks before it rotates.
 */
export const GET = publicHandler((ctx) => withPresentedKey(ctx, limits, async (_presented, record) => jsonNoStore(await keyStanding(record.keyId, ctx.now))));
