import { publicHandler, jsonNoStore } from "@/lib/http/api-handler";
import { withPresentedKey } from "@/lib/http/key-auth";
import { createRateLimit } from "@/lib/http/rate-limit";
import { selfRotate } from "@/lib/rotations/self-rotate";

const limits = {
  perAddress: createRateLimit({ name: "rotate:address", points: 20, durationSeconds: 60 }),
  perKey: createRateLimit({ name: "rotate:key", points: 3, durationSeconds: 60 }),
  what: "self-rotation requests",
};

/**
 * Self-rotation for unattended clients: the current key, as
 * `Authorization: Bearer`, obtains its successor once, in this response only
 * (a manual rotation with the policy's grace; both keys work until
 * `graceEndsAt`), or the successor of a rotation already in grace that nobody
 * has revealed yet. 401 for an unknown, revoked or expired key, 403 under
 * emergency rotation, 409 when the successor was already issued, 429 when
 * called too often (lib/http/key-auth.ts).
 */
export const POST = publicHandler((ctx) =>
  withPresentedKey(ctx, limits, async (presented) => {
    const { rotation, successorSecret } = await selfRotate(presented, ctx.now);
    return jsonNoStore(
      {
        successorKey: successorSecret,
        successor: { id: rotation.successorId, prefix: rotation.successor?.prefix ?? null },
        rotation: { id: rotation.id, kind: rotation.kind, state: rotation.state, startedAt: rotation.startedAt, graceEndsAt: rotation.graceEndsAt },
        oldKey: { id: rotation.keyId, status: "expiring", worksUntil: rotation.graceEndsAt },
      },
      201,
    );
  }),
);
