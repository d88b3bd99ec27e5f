import "server-only";
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataRoot } from "./db";

let cached: Buffer | undefined;

/**
 * The server secret that keys the HMAC of every API key and token. From
 * REKEY_SECRET; on the embedded database, generated once and kept in
 * ./data/secret. A PostgreSQL server is shared by several instances, which
 * must agree on the secret, so there it must be set.
 */
export function getServerSecret(): Buffer {
  if (cached) return cached;
  const fromEnv = process.env.REKEY_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error("REKEY_SECRET must be at least 32 characters.");
    return (cached = Buffer.from(fromEnv, "utf8"));
  }
  if (process.env.DATABASE_URL) {
    throw new Error("REKEY_SECRET is required with DATABASE_URL: every instance must hash keys with the same secret.");
  }
  const file = path.join(dataRoot(), "secret");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    try {
      writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return (cached = Buffer.from(readFileSync(file, "utf8").trim(), "utf8"));
}

/** A 32-byte key for one purpose, derived from the server secret (HKDF-SHA-256): no two uses share a key. */
function derivedKey(purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", getServerSecret(), Buffer.alloc(0), `rekey ${purpose}`, 32));
}

/**
 * Encrypts a small secret that must be read back (a TOTP seed) with
 * AES-256-GCM under a key derived from the server secret for `purpose`.
 * `context` (the owning row's id) is authenticated with it, so a sealed value
 * copied to another row does not open there. Returns `v1.<iv>.<ciphertext>.<tag>` (base64url).
 */
export function sealSecret(plaintext: string, purpose: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", derivedKey(purpose), iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, body, cipher.getAuthTag()].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

/** Opens what sealSecret sealed for the same purpose and context; throws if it was altered, moved or sealed under another secret. */
export function openSecret(sealed: string, purpose: string, context: string): string {
  const [version, iv, body, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !body || !tag) throw new Error("not a sealed secret");
  const decipher = createDecipheriv("aes-256-gcm", derivedKey(purpose), Buffer.from(iv, "base64url"));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
}

/** A keyed hash (HMAC-SHA-256 under a key derived for `purpose`): for secrets compared, never read back. */
export function keyedHash(value: string, purpose: string): string {
  return createHmac("sha256", derivedKey(purpose)).update(value).digest("hex");
}
