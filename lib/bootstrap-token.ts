import "server-only";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { dataRoot } from "./db";
import { env, isSet } from "./env";

/**
 * The token that authorizes the management API on a fresh install: from
 * REKEY_BOOTSTRAP_TOKEN, or on the embedded database generated once and kept
 * in ./data/bootstrap-token, so the quick start can print it. None otherwise.
 */
export function resolveBootstrapToken(): string | undefined {
  const given = env("REKEY_BOOTSTRAP_TOKEN");
  if (given) return given;
  if (isSet("DATABASE_URL")) return undefined;
  const file = path.join(dataRoot(), "bootstrap-token");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `rkb_${randomBytes(24).toString("base64url")}`, { mode: 0o600 });
  }
  return readFileSync(file, "utf8").trim();
}
