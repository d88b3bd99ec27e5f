import { publicHandler, jsonNoStore } from "@/lib/http/api-handler";
import { clientAddress, createRateLimit } from "@/lib/http/rate-limit";
import { selfRotate } from "@/lib/rotations/self-rotate";
import { parseSecret } from "@/lib/keys/format";
import { UnauthorizedError } from "@/lib/errors";

const perAddress = createRateLimit({ name: "rotate:address", points: 20, durationSeconds: 60 });
const perKey = createRateLimit({ name: "rotate:key", points: 3, durationSeconds: 60 });

/**
 * Self-rotation for unattended clients: the current key, as
 * `Authorization: Bearer`, obtains its successor once, in this response only
 * (a manual rotation with the policy's grace; both keys work until
 * `graceEndsAt`). 401 for an unknown, revoked or expired key, 403 under
 * emergency rotation, 409 when a rotation is already under way, 429 when
 * called too often.
 */
export const POST = publicHandler(async ({ request, now }) => {
  const header = request.headers.get("authorization") ?? "";
  const presented = /^Bearer\s+/i.test(header) ? header.replace(/^Bearer\s+/i, "").trim() : "";
  await perAddress(clientAddress(request), "self-rotation requests from this address");
  const parsed = parseSecret(presented);
  if (!parsed || parsed.kind !== "rk") throw new UnauthorizedError("Send the API key to rotate as Authorization: Bearer rk_….");
  await perKey(parsed.prefix, "self-rotation requests for this key");
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
});
