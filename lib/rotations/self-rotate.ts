import "server-only";
import { formatUtcMinute } from "../time";
import { inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { parseSecret } from "../keys/format";
import { candidateHashes, type StoredHash } from "../keys/hash";
import { lockRotation } from "../locks";
import { ConflictError, ForbiddenError, UnauthorizedError } from "../errors";
import { openRotation, supersedeOpenRotation } from "./mutations";
import { issueSuccessorToKey } from "./successor";
import { raiseAlerts, type AlertInput } from "../alerts/raise";
import { getEffectivePolicy } from "../policies/queries";
import { SYSTEM_POLICY } from "../auth/actor";

/**
 * A key rotates itself (`POST /api/v1/keys/rotate`): a manual rotation with
 * its policy's grace whose successor is minted now and returned once, so an
 * unattended client rolls over with no human step. Refused for a key that is
 * not a live key (401), under emergency rotation (403: it may be leaked, and a
 * leaked key must never obtain its successor), or whose rotation is already
 * in grace with its successor already issued (409: it belongs to whoever got
 * it first). A rotation in grace whose successor nobody has revealed gives it
 * to the key; one only scheduled is superseded: cancelled, and this one
 * starts now.
 */
export async function selfRotate(presented: string, now: Date) {
  if (parseSecret(presented)?.kind !== "rk") throw new UnauthorizedError("Send the API key to rotate as Authorization: Bearer rk_….");
  try {
    return await rotateItself(candidateHashes(presented), now);
  } catch (error) {
    if (!(error instanceof ReuseDetected)) throw error;
    // The refused attempt changed nothing; what it sets off is its own transaction.
    const emergency = await inTransaction(async (tx) => {
      await raiseAlerts(tx, [possibleCompromise(error, now)], now, `key:${error.key.prefix}`);
      const policy = await getEffectivePolicy(tx, error.key.organizationId);
      if (!policy.emergencyOnReuse) return false;
      // The policy's answer to two holders of one key: revoke the family (the successor already issued included)
      // and let the customer reveal a replacement in the portal, after the policy's emergency grace.
      await openRotation(
        tx,
        {
          keyId: error.key.id,
          kind: "emergency",
          deliver: "portal",
          reason: `automatic: ${error.key.prefix}… asked for a successor already issued (possible compromise)`,
        },
        { actor: SYSTEM_POLICY, now },
      );
      return true;
    });
    if (emergency)
      throw new ForbiddenError(
        "This key asked for a successor already issued, so its policy emergency-rotated it: it may be leaked. Your organization's contacts reveal the new key in the portal.",
      );
    throw new ConflictError(
      `A rotation of this key is already under way (the old key works until ${formatUtcMinute(error.graceEndsAt)}); its successor is issued once, and not again here. Find it in the portal.`,
    );
  }
}

/**
 * A key asked for a successor while its rotation is in grace: the successor
 * was already issued, to this client earlier or to someone else holding the
 * same key. Refresh-token reuse detection, applied to API keys: a person
 * should look (GitLab revokes the whole family; here, an emergency rotation
 * does that in one click).
 */
class ReuseDetected extends Error {
  constructor(
    readonly key: { id: string; prefix: string; organizationId: string },
    readonly rotationId: string,
    readonly graceEndsAt: Date,
  ) {
    super("self-rotation during grace");
  }
}

function possibleCompromise(e: ReuseDetected, now: Date): AlertInput {
  return {
    kind: "possible_compromise",
    severity: "critical",
    organizationId: e.key.organizationId,
    keyId: e.key.id,
    rotationId: e.rotationId,
    keyFingerprint: e.key.prefix,
    message: `Key ${e.key.prefix}… asked for a successor at ${formatUtcMinute(now)}, but its successor was already issued: two clients may hold this key. If that is not expected, emergency-rotate it (that also revokes the successor).`,
    dedupeKey: `possible_compromise:${e.rotationId}`,
  };
}

function rotateItself(hashes: StoredHash[], now: Date) {
  return inTransaction(async (tx) => {
    // The old key is on its way out: it is found under whichever secret version it is stored with, and not re-hashed.
    const found = await tx.apiKey.findFirst({ where: { OR: hashes }, select: { id: true, prefix: true, status: true, expiresAt: true, organizationId: true } });
    if (!found) throw new UnauthorizedError("This key is not known.");
    if (found.status === "revoked" || found.status === "expired" || (found.expiresAt && found.expiresAt <= now)) {
      throw new UnauthorizedError(`This key is ${found.status === "revoked" ? "revoked" : "expired"} and cannot obtain a successor.`);
    }
    const actor: Actor = `key:${found.prefix}`;
    const open = await tx.rotation.findUnique({ where: { openKeyId: found.id }, select: { id: true } });
    if (open) {
      await lockRotation(tx, open.id);
      const rotation = await tx.rotation.findUniqueOrThrow({
        where: { id: open.id },
        select: { id: true, kind: true, state: true, scheduledAt: true, graceEndsAt: true, openKeyId: true, successorId: true },
      });
      if (rotation.openKeyId === found.id) {
        if (rotation.kind === "emergency") {
          throw new ForbiddenError(
            "This key is under emergency rotation: it may be leaked, so it cannot obtain its successor. Your organization's contacts reveal the new key in the portal.",
          );
        }
        if (rotation.state === "grace") {
          // Started (by the cron, or by a person) with nobody holding its successor yet: the key obtains it, once.
          const issued = rotation.successorId ? null : await issueSuccessorToKey(tx, rotation.id, { actor, now });
          if (issued) return issued;
          throw new ReuseDetected(found, rotation.id, rotation.graceEndsAt!);
        }
        // Scheduled, not started: this rotation replaces it (a successor minted for it is revoked).
        await supersedeOpenRotation(tx, found.id, { actor, now }, "superseded: the key rotated itself", "close");
      }
    }
    const started = await openRotation(tx, { keyId: found.id, kind: "manual", deliver: "response", reason: "self-rotation through the API" }, { actor, now });
    return { ...started, successorSecret: started.successorSecret! };
  }, "A rotation of this key is already under way: its successor was issued once.");
}
