import "server-only";
import { createHash, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import bcrypt from "bcryptjs";
import { verify as argon2Verify } from "@node-rs/argon2";
import { scryptParamsSchema } from "./import-schemas";

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * The check of a presented key against the hash an earlier system stored
 * (the algorithms and their shapes: lib/keys/import-schemas.ts). rekey never
 * needs the plaintext to import a key: its first successful verification
 * proves it, and moves the key to rekey's keyed hash.
 */

/** The bytes of a hex or base64 digest. */
function digestBytes(value: string): Buffer {
  return /^[0-9a-f]+$/i.test(value) && value.length % 2 === 0 ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
}

function equalBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `presented` is the key this legacy hash was made from. */
export async function matchesLegacyHash(hash: { algorithm: string; value: string; params?: unknown }, presented: string): Promise<boolean> {
  switch (hash.algorithm) {
    case "sha256":
      return equalBytes(createHash("sha256").update(presented).digest(), digestBytes(hash.value));
    case "bcrypt":
      // bcrypt reads at most 72 bytes: a longer key's tail would not count, so such a key is never matched by its head alone.
      if (Buffer.byteLength(presented) > 72) return false;
      return bcrypt.compare(presented, hash.value);
    case "argon2":
      return argon2Verify(hash.value, presented).catch(() => false);
    case "scrypt": {
      const p = scryptParamsSchema.parse(hash.params);
      const expected = digestBytes(hash.value);
      const derived = await scrypt(presented, Buffer.from(p.salt, "base64"), expected.length, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + (1 << 20) });
      return equalBytes(derived, expected);
    }
    default:
      return false;
  }
}

/** What makes a re-run import find a key again: SHA-256 of "algorithm:value", hex. */
export function importDigest(hash: { algorithm: string; value: string }): string {
  return createHash("sha256").update(`${hash.algorithm}:${hash.value}`).digest("hex");
}

/** The placeholder stored in `hash` while a key is on its legacy hash: no keyed hash (64 hex characters) looks like it. */
const PLACEHOLDER_HEAD = "legacy:";

export function legacyPlaceholder(digest: string): string {
  return PLACEHOLDER_HEAD + digest;
}

/** Whether a stored `hash` is such a placeholder (the key is still on its legacy hash). */
export function isLegacyPlaceholder(hash: string): boolean {
  return hash.startsWith(PLACEHOLDER_HEAD);
}
