import "server-only";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { dataRoot, getPrisma, inTransaction, type Db, type Tx } from "../db";
import { raiseAlerts } from "../alerts/raise";
import { generatedFile } from "../secret";
import { checkpointProblem, checkpointStatement, keyIdOf, statementBytes, type SignedCheckpoint } from "./checkpoint";
import { verifyAuditChain, type AuditChainResult } from "./verify";
import { env } from "../env";

/** The cron signs the head when it has moved and the last checkpoint is at least this old. */
export const CHECKPOINT_EVERY_MINUTES = env("REKEY_CHECKPOINT_MINUTES");

interface SigningKey {
  privateKey: KeyObject;
  publicKeyRaw: Buffer;
  keyId: string;
}
let cached: SigningKey | undefined;

/**
 * The installation's checkpoint signing key (Ed25519), its own secret, apart
 * from the key-hashing secret: REKEY_CHECKPOINT_KEY (a PKCS#8 PEM), else a
 * file in the data folder (./data/checkpoint-key.pem), generated on first use
 * with mode 0600. Several instances on one database should share it through
 * the environment; if they do not, each signs with its own key, and each key
 * is published with its checkpoints.
 */
export function checkpointSigningKey(): SigningKey {
  if (cached) return cached;
  let pem = env("REKEY_CHECKPOINT_KEY");
  if (!pem) {
    const file = generatedFile(
      dataRoot(),
      "checkpoint-key.pem",
      () => generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string,
    );
    pem = readFileSync(file, "utf8");
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new Error("REKEY_CHECKPOINT_KEY is not a PKCS#8 PEM private key (make one with: openssl genpkey -algorithm ed25519).");
  }
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("REKEY_CHECKPOINT_KEY must be an Ed25519 key.");
  const publicKeyRaw = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
  return (cached = { privateKey, publicKeyRaw, keyId: keyIdOf(publicKeyRaw) });
}

/** Forgets the loaded signing key, so the next use reads the configuration again (a rotated REKEY_CHECKPOINT_KEY; tests). */
export function forgetCheckpointSigningKey(): void {
  cached = undefined;
}

/** Signs a head of the chain and keeps the checkpoint (once per head and key): the same head gives the same checkpoint. */
export async function signCheckpoint(
  db: Db | Tx,
  head: { seq: bigint; hash: string; at: Date },
  reason: "cron" | "report",
  now: Date,
): Promise<SignedCheckpoint> {
  const key = checkpointSigningKey();
  const statement = checkpointStatement(head);
  const checkpoint: SignedCheckpoint = {
    statement,
    keyId: key.keyId,
    publicKey: key.publicKeyRaw.toString("base64"),
    signature: sign(null, statementBytes(statement), key.privateKey).toString("base64"),
  };
  // ON CONFLICT DO NOTHING: two cron calls or downloads signing the same head at once keep one row.
  await db.auditCheckpoint.createMany({
    data: [
      {
        seq: head.seq,
        hash: head.hash,
        at: head.at,
        keyId: key.keyId,
        publicKey: checkpoint.publicKey,
        signature: checkpoint.signature,
        reason,
        createdAt: now,
      },
    ],
    skipDuplicates: true,
  });
  return checkpoint;
}

/** The cron's step: signs the chain's head when it moved since the last checkpoint and that one is CHECKPOINT_EVERY_MINUTES old. */
export async function signCheckpointIfDue(now: Date): Promise<SignedCheckpoint | null> {
  const prisma = await getPrisma();
  const [head, last] = await Promise.all([
    prisma.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true, at: true } }),
    prisma.auditCheckpoint.findFirst({ where: { keyId: checkpointSigningKey().keyId }, orderBy: { seq: "desc" }, select: { seq: true, createdAt: true } }),
  ]);
  if (!head || (last && (last.seq >= head.seq || now.getTime() - last.createdAt.getTime() < CHECKPOINT_EVERY_MINUTES * 60_000))) return null;
  const checkpoint = await signCheckpoint(prisma, head, "cron", now);
  await extendVerification(prisma, head.seq, checkpoint.keyId, now);
  return checkpoint;
}

/**
 * Carries the last verified checkpoint forward to a new one: the events after
 * it are recomputed and linked (minutes' worth, not the whole chain), so a
 * report resumes from within the hour rather than from last night. A break is
 * raised at once, as the nightly full check raises it. An edit before the
 * verified checkpoint is what the nightly full check is for.
 */
async function extendVerification(prisma: Db, seq: bigint, keyId: string, now: Date): Promise<void> {
  const result = await verifyRange(prisma, 1n, seq);
  if (!result.ok) return raiseChainBroken(result.broken!, now);
  if (!result.resumedFrom) return; // nothing verified yet: the nightly full check comes first
  await prisma.auditCheckpoint.updateMany({ where: { seq, keyId }, data: { verifiedAt: now, eventsThrough: result.checked } });
}

async function raiseChainBroken(broken: { seq: string; reason: string }, now: Date): Promise<void> {
  await inTransaction((tx) =>
    raiseAlerts(
      tx,
      [
        {
          kind: "audit_chain_broken",
          severity: "critical",
          message: `The audit trail is broken at event ${broken.seq}: ${broken.reason}. Events from there on cannot be trusted; compare with the signed checkpoints held outside rekey.`,
          dedupeKey: `audit_chain_broken:${broken.seq}`,
        },
      ],
      now,
    ),
  );
}

/** Published checkpoints, newest first. */
export async function listCheckpoints(limit = 100): Promise<(SignedCheckpoint & { reason: string; signedAt: string })[]> {
  const prisma = await getPrisma();
  const rows = await prisma.auditCheckpoint.findMany({ orderBy: [{ seq: "desc" }, { createdAt: "desc" }], take: limit });
  return rows.map((r) => ({
    statement: checkpointStatement(r),
    keyId: r.keyId,
    publicKey: r.publicKey,
    signature: r.signature,
    reason: r.reason,
    signedAt: r.createdAt.toISOString(),
  }));
}

/** Every key that has signed a checkpoint here, and the current one: what an auditor pins. */
export async function listCheckpointKeys(): Promise<{ keyId: string; publicKey: string; algorithm: "Ed25519"; current: boolean }[]> {
  const prisma = await getPrisma();
  const current = checkpointSigningKey();
  const used = await prisma.auditCheckpoint.findMany({ distinct: ["keyId"], select: { keyId: true, publicKey: true } });
  const all = new Map(used.map((k) => [k.keyId, k.publicKey]));
  all.set(current.keyId, current.publicKeyRaw.toString("base64"));
  return [...all].map(([keyId, publicKey]) => ({ keyId, publicKey, algorithm: "Ed25519" as const, current: keyId === current.keyId }));
}

/** The full re-check runs when no checkpoint was verified in full within this many hours: nightly, with a cron every minute. */
export const FULL_CHECK_EVERY_HOURS = 24;

/**
 * The nightly full re-check: every event from the first up to the head is
 * recomputed and linked. Intact, the head's checkpoint is marked verified in
 * full, and later checks of a period resume from it (verifyRange). Broken, a
 * critical alert names the first event that does not fit.
 */
export async function verifyChainInFullIfDue(now: Date): Promise<AuditChainResult | null> {
  const prisma = await getPrisma();
  const recent = await prisma.auditCheckpoint.findFirst({
    where: { verifiedInFull: true, verifiedAt: { gt: new Date(now.getTime() - FULL_CHECK_EVERY_HOURS * 3_600_000) } },
    select: { id: true },
  });
  if (recent) return null;
  const head = await prisma.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { seq: true, hash: true, at: true } });
  if (!head) return null;
  const result = await verifyAuditChain(prisma, { toSeq: head.seq });
  if (result.ok) {
    const checkpoint = await signCheckpoint(prisma, head, "cron", now);
    await prisma.auditCheckpoint.updateMany({
      where: { seq: head.seq, keyId: checkpoint.keyId },
      data: { verifiedAt: now, eventsThrough: result.checked, verifiedInFull: true },
    });
    return result;
  }
  await raiseChainBroken(result.broken!, now);
  return result;
}

/**
 * Checks the run of the chain from `firstSeq` to `lastSeq`. It resumes from
 * the newest checkpoint in that run that was verified in full (its signature
 * checked, the stored event still bearing the signed hash), so a report over a
 * million events starts at once; without one, every event of the run is
 * recomputed. `resumedFrom` says which.
 */
export async function verifyRange(
  db: Db,
  firstSeq: bigint,
  lastSeq: bigint,
): Promise<AuditChainResult & { resumedFrom: { seq: string; verifiedAt: Date } | null }> {
  const anchors = await db.auditCheckpoint.findMany({
    where: { verifiedAt: { not: null }, seq: { gte: firstSeq, lte: lastSeq } },
    orderBy: { seq: "desc" },
    take: 3,
  });
  for (const anchor of anchors) {
    if (checkpointProblem({ statement: checkpointStatement(anchor), keyId: anchor.keyId, publicKey: anchor.publicKey, signature: anchor.signature })) continue;
    const event = await db.auditEvent.findUnique({ where: { seq: anchor.seq }, select: { hash: true } });
    if (event?.hash !== anchor.hash) {
      return {
        ok: false,
        checked: 0,
        headHash: "",
        broken: { seq: String(anchor.seq), reason: "this is not the event the checkpoint signed: the chain up to it was rewritten" },
        resumedFrom: null,
      };
    }
    const rest = await verifyAuditChain(db, { fromSeq: anchor.seq + 1n, toSeq: lastSeq });
    // The events up to the anchor were recomputed in full when it was verified: counted as checked.
    const covered =
      anchor.eventsThrough === null
        ? await db.auditEvent.count({ where: { seq: { gte: firstSeq, lte: anchor.seq } } })
        : anchor.eventsThrough - (await db.auditEvent.count({ where: { seq: { lt: firstSeq } } }));
    return {
      ...rest,
      checked: rest.checked + covered,
      headHash: rest.checked ? rest.headHash : anchor.hash,
      resumedFrom: { seq: String(anchor.seq), verifiedAt: anchor.verifiedAt! },
    };
  }
  return { ...(await verifyAuditChain(db, { fromSeq: firstSeq, toSeq: lastSeq })), resumedFrom: null };
}
