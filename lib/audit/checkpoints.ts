import "server-only";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataRoot, getPrisma, type Db } from "../db";
import { checkpointStatement, keyIdOf, statementBytes, type SignedCheckpoint } from "./checkpoint";

/** The cron signs the head when it has moved and the last checkpoint is at least this old. */
export const CHECKPOINT_EVERY_MINUTES = Number(process.env.REKEY_CHECKPOINT_MINUTES ?? 60);

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
  let pem = process.env.REKEY_CHECKPOINT_KEY?.replace(/\\n/g, "\n");
  if (!pem) {
    const file = path.join(dataRoot(), "checkpoint-key.pem");
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      const { privateKey } = generateKeyPairSync("ed25519");
      try {
        writeFileSync(file, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600, flag: "wx" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
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

/** Signs a head of the chain and keeps the checkpoint (once per head and key): the same head gives the same checkpoint. */
export async function signCheckpoint(db: Db, head: { seq: bigint; hash: string; at: Date }, reason: "cron" | "report", now: Date): Promise<SignedCheckpoint> {
  const key = checkpointSigningKey();
  const statement = checkpointStatement(head);
  const checkpoint: SignedCheckpoint = { statement, keyId: key.keyId, publicKey: key.publicKeyRaw.toString("base64"), signature: sign(null, statementBytes(statement), key.privateKey).toString("base64") };
  // ON CONFLICT DO NOTHING: two cron calls or downloads signing the same head at once keep one row.
  await db.auditCheckpoint.createMany({
    data: [{ seq: head.seq, hash: head.hash, at: head.at, keyId: key.keyId, publicKey: checkpoint.publicKey, signature: checkpoint.signature, reason, createdAt: now }],
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
  return signCheckpoint(prisma, head, "cron", now);
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
