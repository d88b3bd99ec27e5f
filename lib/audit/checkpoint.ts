/**
 * Signed checkpoints of the audit chain, pure (no database): the statement
 * that is signed, and its check. A checkpoint signs the chain's head (seq,
 * hash, and the head event's time) with Ed25519; anyone holding it can later
 * prove that no event up to it was changed, removed or cut off the end
 * (docs/audit-chain.md). The same head always gives the same bytes: Ed25519
 * signatures are deterministic and the statement has no signing time.
 */
import { createHash, createPublicKey, verify } from "node:crypto";
import canonicalize from "canonicalize";

export interface CheckpointStatement {
  type: "rekey.audit.checkpoint";
  version: 1;
  /** The head event's seq, a decimal string. */
  seq: string;
  /** The head event's hash. */
  hash: string;
  /** The head event's time, as the audit trail writes times. */
  at: string;
}

export interface SignedCheckpoint {
  statement: CheckpointStatement;
  /** First 16 hex digits of the SHA-256 of the raw public key. */
  keyId: string;
  /** The raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
  /** Ed25519 over the UTF-8 bytes of the statement's RFC 8785 canonical JSON, base64. */
  signature: string;
}

/** The bytes that are signed: the statement's canonical JSON (RFC 8785). */
export function statementBytes(statement: CheckpointStatement): Buffer {
  return Buffer.from(canonicalize(statement) ?? "", "utf8");
}

export function checkpointStatement(head: { seq: bigint | string; hash: string; at: Date | string }): CheckpointStatement {
  return {
    type: "rekey.audit.checkpoint",
    version: 1,
    seq: String(head.seq),
    hash: head.hash,
    at: typeof head.at === "string" ? head.at : head.at.toISOString(),
  };
}

/** The key id of a raw Ed25519 public key. */
export function keyIdOf(publicKeyRaw: Buffer): string {
  return createHash("sha256").update(publicKeyRaw).digest("hex").slice(0, 16);
}

// An Ed25519 public key as DER SubjectPublicKeyInfo is this prefix and the 32 raw bytes (RFC 8410).
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Why a signed checkpoint does not hold, or null when its signature and key id check out. */
export function checkpointProblem(c: SignedCheckpoint): string | null {
  const s = c?.statement;
  if (
    s?.type !== "rekey.audit.checkpoint" ||
    s.version !== 1 ||
    !/^[1-9][0-9]*$/.test(String(s.seq)) ||
    !/^[0-9a-f]{64}$/.test(String(s.hash)) ||
    typeof s.at !== "string"
  ) {
    return "it is not a rekey audit checkpoint (type, version, seq, hash, at)";
  }
  const raw = Buffer.from(String(c.publicKey ?? ""), "base64");
  if (raw.length !== 32) return "its public key is not a 32-byte Ed25519 key";
  if (keyIdOf(raw) !== c.keyId) return "its key id does not match its public key";
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  const ok = verify(
    null,
    statementBytes({ type: s.type, version: s.version, seq: s.seq, hash: s.hash, at: s.at }),
    key,
    Buffer.from(String(c.signature ?? ""), "base64"),
  );
  return ok ? null : "its signature does not verify: the checkpoint was changed or not signed by this key";
}
