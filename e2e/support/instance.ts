import { expect } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { assertLocalDatabaseUrl, withDatabase } from "../../tests/support/local-url";

/** The local PostgreSQL server that specs starting their own instances use (unset: those specs skip). */
export const serverUrl = process.env.TEST_DATABASE_URL;
export const INSTANCE_TOKEN = "multi-instance-token-0123456789abcdef";

/** Waits until an instance on `port` answers its health check. */
export async function waitForHealth(port: number) {
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`instance on ${port} did not start`);
}

/** A fresh migrated database on the local server, and the environment that points an instance at it. */
export async function freshDatabase<E extends Record<string, string>>(extra: E) {
  assertLocalDatabaseUrl(serverUrl!);
  const database = `rekey_e2e_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const env = {
    ...process.env,
    DATABASE_URL: withDatabase(serverUrl!, database),
    REKEY_BOOTSTRAP_TOKEN: INSTANCE_TOKEN,
    NEXT_TELEMETRY_DISABLED: "1",
    ...extra,
  };
  const migrate = spawnSync("npm", ["run", "db:migrate"], { env, encoding: "utf8" });
  expect(migrate.status, migrate.stderr).toBe(0);
  return { database, admin, env };
}
