import "server-only";
import { getPrisma, inTransaction } from "../db";
import { generateManagementToken, parseSecret } from "../keys/format";
import { candidateHashes, hashSecret } from "../keys/hash";
import { appendAuditEvent } from "../audit/write";
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from "../errors";
import type { Actor } from "./actor";
import { bearer, sameSecret } from "../http/bearer";
import { env } from "../env";
import type { Context } from "../context";

/**
 * The actor behind a management API request: a management token created by
 * an admin (stored as a keyed hash), or REKEY_BOOTSTRAP_TOKEN so a fresh
 * install can be automated before anyone has signed in.
 */
export async function authenticateManagementRequest(request: Request, now: Date): Promise<Actor> {
  const token = bearer(request);
  if (!token) throw new UnauthorizedError("Send a management token as Authorization: Bearer <token>.");
  const bootstrap = env("REKEY_BOOTSTRAP_TOKEN");
  if (bootstrap && sameSecret(token, bootstrap)) return "bootstrap";
  if (parseSecret(token)?.kind !== "rkm") throw new UnauthorizedError("That is not a valid management token.");
  const prisma = await getPrisma();
  // Under any configured hashing secret version, each row only under its own (lib/keys/hash.ts).
  const found = await prisma.managementToken.findFirst({
    where: { OR: candidateHashes(token) },
    select: { id: true, revokedAt: true, lastUsedAt: true, hashVersion: true },
  });
  if (!found || found.revokedAt) throw new UnauthorizedError("That is not a valid management token.");
  const current = hashSecret(token);
  if (found.hashVersion !== current.hashVersion) {
    // Used under an older secret: stored again under the current one, so that secret can be retired.
    await prisma.managementToken.update({ where: { id: found.id }, data: { ...current, lastUsedAt: now } });
  } else if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > 60_000) {
    // Last use to the minute is enough, and saves a write per request.
    await prisma.managementToken.update({ where: { id: found.id }, data: { lastUsedAt: now } });
  }
  return `token:${found.id}`;
}

/**
 * The caller of the verifier replication endpoints (snapshot, changes,
 * usage): REKEY_VERIFY_TOKEN, a credential that can read verification
 * records and nothing else, or any management token.
 */
export async function authenticateVerifierRequest(request: Request, now: Date): Promise<Actor> {
  const token = bearer(request);
  const verifyToken = env("REKEY_VERIFY_TOKEN");
  if (token && verifyToken && sameSecret(token, verifyToken)) return "verifier";
  return authenticateManagementRequest(request, now);
}

/** Creates a management token; its secret is in the result only. */
export async function createManagementToken(name: string, { actor, now }: Context) {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200) throw new ValidationError("name: is required (at most 200 characters)", "name");
  const { secret, prefix } = generateManagementToken();
  return inTransaction(async (tx) => {
    const token = await tx.managementToken.create({
      data: { name: trimmed, prefix, ...hashSecret(secret), createdById: actor.startsWith("user:") ? actor.slice(5) : null, createdAt: now },
      select: { id: true, name: true, prefix: true, createdAt: true },
    });
    await appendAuditEvent(tx, { actor, action: "management_token.created", keyFingerprint: prefix, after: { name: trimmed } }, now);
    return { token, secret };
  });
}

/** Management tokens, newest first (never their secrets). */
export async function listManagementTokens() {
  const prisma = await getPrisma();
  return prisma.managementToken.findMany({ orderBy: { createdAt: "desc" } });
}

/** Revokes a management token at once. */
export async function revokeManagementToken(tokenId: string, { actor, now }: Context) {
  return inTransaction(async (tx) => {
    const token = await tx.managementToken.findUnique({ where: { id: tokenId } });
    if (!token) throw new NotFoundError("No such token.");
    if (token.revokedAt) throw new ConflictError("This token is already revoked.");
    const updated = await tx.managementToken.update({ where: { id: tokenId }, data: { revokedAt: now } });
    await appendAuditEvent(tx, { actor, action: "management_token.revoked", keyFingerprint: token.prefix, after: { name: token.name } }, now);
    return updated;
  });
}
