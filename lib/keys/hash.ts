import "server-only";
import { keyedHash } from "../../packages/verifier/src/secrets";
import { getHashingSecrets } from "../secret";

/** A stored keyed hash and the version of the hashing secret that made it. */
export interface StoredHash {
  hash: string;
  hashVersion: number;
}

/**
 * The keyed hash (HMAC-SHA-256, hex) under which a new key or token is
 * stored: made with the current hashing secret, whose version is stored with it.
 */
export function hashSecret(secret: string): StoredHash {
  const { current, buffers } = getHashingSecrets();
  return { hash: keyedHash(buffers.get(current)!, secret), hashVersion: current };
}

/**
 * Every hash a presented key or token may be stored under: one per
 * configured hashing secret, the current one first. A row matches only
 * under its own version (`hashVersion`), so a version removed from the
 * configuration refuses exactly the rows still stored under it.
 */
export function candidateHashes(secret: string): StoredHash[] {
  const { secrets, buffers } = getHashingSecrets();
  return secrets.map((s) => ({ hash: keyedHash(buffers.get(s.version)!, secret), hashVersion: s.version }));
}

/** The hash of a presented key under one configured version (for a lookup that tries the current version first). */
export function hashUnder(version: number, secret: string): string {
  return keyedHash(getHashingSecrets().buffers.get(version)!, secret);
}

/** The version new hashes are made with. */
export function currentHashVersion(): number {
  return getHashingSecrets().current;
}
