import "server-only";
import { formatUtcMinute } from "../time";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { parseSecret } from "../keys/format";
import { hashSecret } from "../keys/hash";
import { lockRotation } from "../locks";
import { ConflictError, ForbiddenError, UnauthorizedError } from "../errors";
import { closeRotationInTx, openRotation } from "./mutations";


/**
 * A key rotates itself (`POST /api/v1/keys/rotate`): a manual rotation with
 * its policy's grace whose successor is minted now and returned once, so an
 * unattended client rolls over with no human step. Refused for a key that is
 * not a live key (401), under emergency rotation (403: it may be leaked, and a
 * leaked key must never obtain its successor), or whose rotation is already
 * in grace (409: its successor belongs to whoever got it first). A rotation
 * only scheduled is superseded: cancelled, and this one starts now.
 */
export async function selfRotate(presented: string, now: Date) {
  if (parseSecret(presented)?.kind !== "rk") throw new UnauthorizedError("Send the API key to rotate as Authorization: Bearer rk_….");
  const hash = hashSecret(presented);
  return inTransaction(async (tx) => {
    const found = await tx.apiKey.findUnique({ where: { hash }, select: { id: true, prefix: true, status: true, expiresAt: true, organizationId: true } });
    if (!found) throw new UnauthorizedError("This key is not known.");
    if (found.status === "revoked" || found.status === "expired" || (found.expiresAt && found.expiresAt <= now)) {
      throw new UnauthorizedError(`This key is ${found.status === "revoked" ? "revoked" : "expired"} and cannot obtain a successor.`);
    }
    const actor: Actor = `key:${found.prefix}`;
    const open = await tx.rotation.findUnique({ where: { openKeyId: found.id }, select: { id: true } });
    if (open) {
      await lockRotation(tx, open.id);
      const rotation = await tx.rotation.findUniqueOrThrow({ where: { id: open.id }, select: { id: true, kind: true, state: true, scheduledAt: true, graceEndsAt: true, openKeyId: true } });
      if (rotation.openKeyId === found.id) {
        if (rotation.kind === "emergency") {
          throw new ForbiddenError("This key is under emergency rotation: it may be leaked, so it cannot obtain its successor. Your organization's contacts reveal the new key in the portal.");
        }
        if (rotation.state === "grace") {
          throw new ConflictError(`A rotation of this key is already under way (the old key works until ${formatUtcMinute(rotation.graceEndsAt!)}); its successor is issued once, and not again here. Find it in the portal.`);
        }
        // Scheduled, not started: this rotation replaces it (a successor minted for it is revoked).
        await closeRotationInTx(tx, { rotationId: rotation.id, reason: "superseded: the key rotated itself" }, actor, now, "cancelled");
      }
    }
    const started = await openRotation(tx, { keyId: found.id, kind: "manual", deliver: "response", reason: "self-rotation through the API" }, actor, now);
    return { ...started, successorSecret: started.successorSecret! };
  }, "A rotation of this key is already under way: its successor was issued once.");
}
