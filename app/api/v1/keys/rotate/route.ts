import { publicHandler, jsonNoStore, withQuota } from "@/lib/http/api-handler";
import { bearer } from "@/lib/http/bearer";
import { clientAddress, createRateLimit } from "@/lib/http/rate-limit";
import { selfRotate } from "@/lib/rotations/self-rotate";
import { parseSecret } from "@/lib/keys/format";
import { findVerificationRecord } from "@/lib/keys/records";
import { UnauthorizedError } from "@/lib/errors";

const perAddress = createRateLimit({ name: "rotate:address", points: 20, durationSeconds: 60 });
const failuresPerAddress = createRateLimit({ name: "rotate:failed", points: 10, durationSeconds: 900 });
const perKey = createRateLimit({ name: "rotate:key", points: 3, durationSeconds: 60 });

/**
 * Self-rotation for unattended clients: the current key, as
 * `Authorization: Bearer`, obtains its successor once, in this response only
 * (a manual rotation with the policy's grace; both keys work until
 * `graceEndsAt`). 401 for an unknown, revoked or expired key, 403 under
 * emergency rotation, 409 when a rotation is already under way, 429 when
 * called too often.
 *
 * The per-key limit counts by the key's id, and only once the presented key
 * is known to be that key: keyed by the visible prefix (it was, once),
 * anyone who saw a prefix in an email could spend a key's limit with forged
 * keys and lock it out of its own rotation. Keys that are not a known key
 * count as failures of the caller's address instead.
 */
export const POST = publicHandler(async (ctx) => {
  const { request, now } = ctx;
  const presented = bearer(request) ?? "";
  const address = clientAddress(request);
  return withQuota(
    () => perAddress.take(address, "self-rotation requests from this address", now),
    ctx,
    () => rotate(presented, address, now),
  );
});

async function rotate(presented: string, address: string, now: Date): Promise<Response> {
  await failuresPerAddress.check(address, "failed self-rotation requests from this address", now);
  try {
    const parsed = parseSecret(presented);
    if (parsed?.kind !== "rk") throw new UnauthorizedError("Send the API key to rotate as Authorization: Bearer rk_….");
    const record = await findVerificationRecord(presented);
    if (!record) throw new UnauthorizedError("This key is not known.");
    await perKey.take(record.keyId, "self-rotation requests for this key", now);
    const { rotation, successorSecret } = await selfRotate(presented, now);
    return jsonNoStore(
      {
        successorKey: successorSecret,
        successor: { id: rotation.successorId, prefix: rotation.successor?.prefix ?? null },
        rotation: { id: rotation.id, kind: rotation.kind, state: rotation.state, startedAt: rotation.startedAt, graceEndsAt: rotation.graceEndsAt },
        oldKey: { id: rotation.keyId, status: "expiring", worksUntil: rotation.graceEndsAt },
      },
      201,
    );
  } catch (error) {
    if (error instanceof UnauthorizedError) await failuresPerAddress.record(address, now);
    throw error;
  }
}
