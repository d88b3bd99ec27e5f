/**
 * rekey's hashing secrets, versioned so they can be rotated without
 * invalidating a key (docs/verifier-protocol.md, "Hashing secret versions").
 * Every stored hash records the version of the secret that made it; a key is
 * looked up under each configured version, the current one first.
 *
 * The written form, shared by rekey's REKEY_SECRETS / REKEY_SECRETS_FILE and
 * the replica's `hashingSecrets`: `<version>:<secret>` pairs separated by
 * commas, spaces or new lines, the current one marked with a leading `*`
 * (`*2:…,1:…`); in a file, `#` starts a comment. A version is an integer
 * from 1 to 65535; a secret has at least 32 characters and no comma or
 * white space. A lone pair needs no mark.
 *
 * Errors name the version and what is wrong, never the secret.
 */
import { createHmac } from "node:crypto";

export interface HashingSecret {
  version: number;
  secret: string;
}

export interface HashingSecrets {
  /** The version new hashes are made with. */
  current: number;
  /** Every configured secret, the current one first, then newest to oldest. */
  secrets: HashingSecret[];
}

export const MIN_SECRET_LENGTH = 32;
export const MAX_HASH_VERSION = 65_535;

/** Checks a list of secrets and orders it (current first, then by version, newest first). */
export function hashingSecrets(secrets: HashingSecret[], current: number, source: string): HashingSecrets {
  if (secrets.length === 0) throw new Error(`${source}: no hashing secret is configured.`);
  const seen = new Set<number>();
  for (const s of secrets) {
    if (!Number.isInteger(s.version) || s.version < 1 || s.version > MAX_HASH_VERSION)
      throw new Error(`${source}: a version must be an integer from 1 to ${MAX_HASH_VERSION}.`);
    if (seen.has(s.version)) throw new Error(`${source}: version ${s.version} is listed twice.`);
    seen.add(s.version);
    if (typeof s.secret !== "string" || s.secret.length < MIN_SECRET_LENGTH)
      throw new Error(`${source}: the secret of version ${s.version} must be at least ${MIN_SECRET_LENGTH} characters.`);
  }
  if (!seen.has(current)) throw new Error(`${source}: the current version ${current} has no secret.`);
  const ordered = [...secrets].sort((a, b) => (a.version === current ? -1 : b.version === current ? 1 : b.version - a.version));
  return { current, secrets: ordered };
}

/** Parses the written form (above). `source` names where it came from, for the error. */
export function parseHashingSecrets(text: string, source: string): HashingSecrets {
  const entries = text
    .split("\n")
    .map((line) => line.replace(/#.*$/, ""))
    .join(" ")
    .split(/[\s,]+/)
    .filter(Boolean);
  if (entries.length === 0) throw new Error(`${source}: no hashing secret is configured.`);
  const secrets: HashingSecret[] = [];
  const marked: number[] = [];
  entries.forEach((entry, i) => {
    const match = /^(\*?)(\d{1,5}):(.+)$/.exec(entry);
    if (!match) throw new Error(`${source}: entry ${i + 1} is not <version>:<secret> (mark the current one with a leading *).`);
    const version = Number(match[2]);
    if (match[1]) marked.push(version);
    secrets.push({ version, secret: match[3] });
  });
  if (marked.length > 1) throw new Error(`${source}: more than one version is marked current (*${marked.join(", *")}); mark exactly one.`);
  if (marked.length === 0 && secrets.length > 1)
    throw new Error(`${source}: mark the current version with a leading * (e.g. *${Math.max(...secrets.map((s) => s.version))}:…).`);
  return hashingSecrets(secrets, marked[0] ?? secrets[0].version, source);
}

/** The keyed hash of a key or token under one secret: HMAC-SHA-256, lower-case hex. */
export function keyedHash(secret: string | Buffer, presented: string): string {
  return createHmac("sha256", secret).update(presented).digest("hex");
}
