import "server-only";
import { randomBytes } from "node:crypto";
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
