import "server-only";
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataRoot } from "./db";
import { log } from "./log";
import { env, isSet, type Environment, type SettingName } from "./env";
import { hashingSecrets, MIN_SECRET_LENGTH, parseHashingSecrets, type HashingSecrets } from "../packages/verifier/src/secrets";

export type { HashingSecrets, HashingSecret } from "../packages/verifier/src/secrets";

/**
 * rekey's own secrets, each rotatable on its own (README, "Rotating rekey's
 * own secrets"). The one module that reads them; everything else asks here.
 *
 * - **Hashing secrets**: the HMAC keys under which API keys and management
 *   tokens are stored, versioned (packages/verifier/src/secrets.ts for the
 *   written form). New hashes use the current version; a key stored under an
 *   older configured version still verifies and is re-hashed on its next
 *   successful verification. A version removed from configuration refuses
 *   exactly the keys still stored under it.
 * - **Session secrets**: sign next-auth's session cookie. Never derived from
 *   a hashing secret, except for an install that has only the lone
 *   REKEY_SECRET of before and no NEXTAUTH_SECRET, which keeps its users
 *   signed in as before (a warning says to set NEXTAUTH_SECRET).
 *
 * A provider (the environment and the data folder, below) supplies them; a
 * KMS would be another provider with the same two methods.
 */
export interface SecretProvider {
  /** The hashing secrets; throws, saying what is wrong, when they are misconfigured. */
  hashingSecrets(): HashingSecrets;
  /** The session secrets: the one that signs first, then previous ones still accepted for reading a cookie. */
  sessionSecrets(): string[];
}

const SESSION_LEGACY_LABEL = "rekey session cookies";

function readSecretFile(file: string, name: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
  }
}

/** A file written once into the data folder, mode 0600, whoever gets there first (the embedded database's generated secrets and keys). */
export function generatedFile(root: string, name: string, content: () => string): string {
  const file = path.join(root, name);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, content(), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return file;
}

const newSecret = () => randomBytes(32).toString("base64url");

/**
 * Secrets from the environment (REKEY_SECRETS, REKEY_SECRETS_FILE, or the
 * lone REKEY_SECRET, which is version 1; NEXTAUTH_SECRET and
 * NEXTAUTH_SECRET_PREVIOUS), and on the embedded database from files it
 * generates in the data folder (`secrets`, `session-secret`; an older
 * install's `secret` file is version 1).
 */
export function environmentSecretProvider(source: Environment = process.env): SecretProvider {
  const get = <K extends SettingName>(name: K) => env(name, source);
  const root = () => dataRoot(source);
  const legacyHashingSecret = () => {
    const lone = get("REKEY_SECRET");
    return lone && !get("REKEY_SECRETS") && !get("REKEY_SECRETS_FILE") ? lone : undefined;
  };
  return {
    hashingSecrets() {
      const given = (["REKEY_SECRETS", "REKEY_SECRETS_FILE", "REKEY_SECRET"] as const).filter((name) => get(name));
      if (given.length > 1)
        throw new Error(
          `Set only one of ${given.join(" and ")}: REKEY_SECRETS (or REKEY_SECRETS_FILE) lists every hashing secret version, REKEY_SECRET is the single secret of an older configuration (version 1).`,
        );
      const list = get("REKEY_SECRETS");
      const listFile = get("REKEY_SECRETS_FILE");
      const lone = get("REKEY_SECRET");
      if (list) return parseHashingSecrets(list, "REKEY_SECRETS");
      if (listFile) return parseHashingSecrets(readSecretFile(listFile, "REKEY_SECRETS_FILE"), `REKEY_SECRETS_FILE (${listFile})`);
      if (lone) {
        if (lone.length < MIN_SECRET_LENGTH) throw new Error(`REKEY_SECRET must be at least ${MIN_SECRET_LENGTH} characters.`);
        return hashingSecrets([{ version: 1, secret: lone }], 1, "REKEY_SECRET");
      }
      if (isSet("DATABASE_URL", source)) {
        throw new Error(
          "REKEY_SECRETS (or REKEY_SECRETS_FILE, or REKEY_SECRET) is required with DATABASE_URL: every instance must hash keys with the same secrets.",
        );
      }
      const versioned = path.join(root(), "secrets");
      const legacy = path.join(root(), "secret");
      if (!existsSync(versioned) && existsSync(legacy)) {
        // An install from before versioned secrets: its one secret is version 1 (add `secrets` to rotate it).
        return hashingSecrets([{ version: 1, secret: readSecretFile(legacy, "the embedded database's secret").trim() }], 1, legacy);
      }
      const file = generatedFile(
        root(),
        "secrets",
        () => `# rekey's hashing secrets, <version>:<secret>, the current one marked with *.\n# README: "Rotating rekey's own secrets".\n*1:${newSecret()}\n`,
      );
      return parseHashingSecrets(readSecretFile(file, "the embedded database's secrets"), file);
    },
    sessionSecrets() {
      const previous = get("NEXTAUTH_SECRET_PREVIOUS");
      // No minimum length here: next-auth sets none, and an install's existing NEXTAUTH_SECRET must keep working.
      const current = get("NEXTAUTH_SECRET");
      if (current) return [current, ...previous];
      if (previous.length) throw new Error("NEXTAUTH_SECRET_PREVIOUS is set without NEXTAUTH_SECRET: set the new secret as NEXTAUTH_SECRET.");
      if (!isSet("DATABASE_URL", source))
        return [readSecretFile(generatedFile(root(), "session-secret", newSecret), "the embedded database's session secret").trim()];
      const lone = legacyHashingSecret();
      if (lone) {
        warnOnce(
          "NEXTAUTH_SECRET is not set: session cookies are signed with a secret derived from REKEY_SECRET, as before. Set NEXTAUTH_SECRET so a hashing-secret leak is not a session leak (users sign in again once).",
        );
        return [createHmac("sha256", lone).update(SESSION_LEGACY_LABEL).digest("hex")];
      }
      throw new Error(
        "NEXTAUTH_SECRET is required with DATABASE_URL and REKEY_SECRETS: session cookies are signed with their own secret, the same on every instance.",
      );
    },
  };
}

let warned = false;
function warnOnce(message: string) {
  if (warned) return;
  warned = true;
  log.warn(message);
}

type State = { provider: SecretProvider; hashing?: HashingSecrets & { buffers: Map<number, Buffer> }; session?: string[]; data?: Buffer[] };
// One state per module copy is fine: every copy reads the same configuration.
const state: State = { provider: environmentSecretProvider() };

/** Replaces where secrets come from (a KMS, or a test's own configuration); forgets what was loaded. */
export function useSecretProvider(provider: SecretProvider): void {
  state.provider = provider;
  state.hashing = undefined;
  state.session = undefined;
  state.data = undefined;
}

/** Forgets the loaded secrets, so the next use reads the configuration again (tests that change the environment). */
export function reloadSecrets(): void {
  useSecretProvider(environmentSecretProvider());
}

/** The hashing secrets (current first), with each secret as bytes for HMAC. Loaded once. */
export function getHashingSecrets(): HashingSecrets & { buffers: Map<number, Buffer> } {
  if (!state.hashing) {
    const loaded = state.provider.hashingSecrets();
    state.hashing = { ...loaded, buffers: new Map(loaded.secrets.map((s) => [s.version, Buffer.from(s.secret, "utf8")])) };
  }
  return state.hashing;
}

/** The session secrets: the first signs, every one is accepted when reading a cookie. Loaded once. */
export function getSessionSecrets(): string[] {
  return (state.session ??= state.provider.sessionSecrets());
}

/** Loads every secret now, so bad configuration stops `npm start` with its reason before any work. */
export function checkSecretsConfiguration(): void {
  getHashingSecrets();
  getSessionSecrets();
  hashVersionLingerDays();
}

/**
 * How many days keys and tokens in use may stay on an old hashing secret
 * version after a newer one became current before the cron raises an alert
 * (REKEY_SECRET_LINGER_DAYS, default 30): keys move at their next successful
 * verification, so what is left after that is keys nobody uses, for rotation.
 */
export function hashVersionLingerDays(source: Environment = process.env): number {
  return env("REKEY_SECRET_LINGER_DAYS", source);
}

/**
 * The data secrets: they seal what rekey must read back (TOTP seeds) and key
 * the hashes of MFA recovery codes. Their own secrets, not the hashing secret
 * (which rotates by versions, lib/keys/hash.ts) nor the session secret:
 * REKEY_DATA_SECRET, else generated once into ./data/data-secret on the
 * embedded database (with DATABASE_URL every instance must share it, so it
 * must be set), then the previous ones in REKEY_DATA_SECRET_PREVIOUS
 * (comma-separated) during a rotation: what was sealed under a previous one
 * still opens, and is sealed again under the current one at its next use (a
 * TOTP seed at its owner's next sign-in). Each sealed value names its
 * secret by a short id, so the Secrets page counts what is left on old ones.
 */
function getDataSecrets(): Buffer[] {
  if (state.data) return state.data;
  const fromEnv = env("REKEY_DATA_SECRET");
  const check = (value: string, name: string) => {
    if (value.length < MIN_SECRET_LENGTH) throw new Error(`${name} must be at least ${MIN_SECRET_LENGTH} characters.`);
    return Buffer.from(value, "utf8");
  };
  let current: Buffer;
  if (fromEnv) current = check(fromEnv, "REKEY_DATA_SECRET");
  else if (isSet("DATABASE_URL"))
    throw new Error("REKEY_DATA_SECRET is required with DATABASE_URL: it seals multi-factor secrets, and every instance must read them.");
  else current = Buffer.from(readFileSync(generatedFile(dataRoot(), "data-secret", newSecret), "utf8").trim(), "utf8");
  const previous = env("REKEY_DATA_SECRET_PREVIOUS").map((v) => check(v, "Each of REKEY_DATA_SECRET_PREVIOUS"));
  return (state.data = [current, ...previous.filter((p) => !p.equals(current))]);
}

/** A data secret's public name: 8 hex digits of an HMAC of it, never the secret. */
function dataSecretId(secret: Buffer): string {
  return createHmac("sha256", secret).update("rekey data secret id").digest("hex").slice(0, 8);
}

/** The current data secret's id, and the previous ones' (what a sealed value names; the Secrets page counts by it). */
export function dataSecretIds(): { current: string; previous: string[] } {
  const [current, ...previous] = getDataSecrets().map(dataSecretId);
  return { current, previous };
}

/** A 32-byte key for one purpose, derived from a data secret (HKDF-SHA-256): no two uses share a key. */
function derivedKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), `rekey ${purpose}`, 32));
}

/**
 * Encrypts a small secret that must be read back (a TOTP seed) with
 * AES-256-GCM under a key derived from the current data secret for
 * `purpose`. `context` (the owning row's id) is authenticated with it, so a
 * sealed value copied to another row does not open there. Returns
 * `v2.<secret id>.<iv>.<ciphertext>.<tag>` (base64url).
 */
export function sealSecret(plaintext: string, purpose: string, context: string): string {
  const secret = getDataSecrets()[0];
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", derivedKey(secret, purpose), iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v2", dataSecretId(secret), ...[iv, body, cipher.getAuthTag()].map((p) => p.toString("base64url"))].join(".");
}

/**
 * Opens what sealSecret sealed for the same purpose and context, under the
 * current or a previous data secret (`v1` values, from before secrets had
 * ids, under whichever opens them); throws if it was altered, moved, or
 * sealed under a secret no longer configured.
 */
export function openSecret(sealed: string, purpose: string, context: string): string {
  const parts = sealed.split(".");
  const [id, iv, body, tag] =
    parts[0] === "v2" && parts.length === 5 ? parts.slice(1) : parts[0] === "v1" && parts.length === 4 ? [null, ...parts.slice(1)] : [];
  if (!iv || !body || !tag) throw new Error("not a sealed secret");
  const candidates = getDataSecrets().filter((s) => id === null || dataSecretId(s) === id);
  if (!candidates.length) throw new Error("sealed under a data secret that is no longer configured (REKEY_DATA_SECRET_PREVIOUS)");
  for (const secret of candidates) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", derivedKey(secret, purpose), Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
    } catch {}
  }
  throw new Error("a sealed secret did not open: altered, moved to another row, or sealed under another data secret");
}

/**
 * Counts of sealed values by the data secret they are under (`rows`: the id
 * a sealed value names, `split_part(value, '.', 2)` for v2, else "v1", and
 * how many): under the current one, a previous one still configured (v1
 * values open under whichever made them), or one no longer configured.
 */
export function countBySealingSecret(rows: { id: string; n: number }[]): { current: number; previous: number; unreadable: number } {
  const ids = dataSecretIds();
  const counts = { current: 0, previous: 0, unreadable: 0 };
  for (const r of rows) {
    if (r.id === ids.current) counts.current += r.n;
    else if (ids.previous.includes(r.id) || r.id === "v1") counts.previous += r.n;
    else counts.unreadable += r.n;
  }
  return counts;
}

/** Whether a sealed value is under the current data secret (else it should be sealed again at its next use). */
export function sealedUnderCurrent(sealed: string): boolean {
  return sealed.startsWith(`v2.${dataSecretIds().current}.`);
}

/** Keyed hashes (HMAC-SHA-256 under a key derived for `purpose`) of a value under each data secret, current first: for secrets compared, never read back. */
export function keyedHashes(value: string, purpose: string): string[] {
  return getDataSecrets().map((secret) => createHmac("sha256", derivedKey(secret, purpose)).update(value).digest("hex"));
}
