import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, inject } from "vitest";
import { openDatabase, useDatabase, closeDatabase, getDatabase, type Database } from "../../lib/db";
import { clearVerifyCache } from "../../lib/keys/verify";
import { resetRestoreGate } from "../../lib/backup/gate";
import { deleteAllData } from "../../lib/seed";
import { flushUsage } from "../../lib/keys/usage";
import { assertLocalDatabaseUrl, withDatabase } from "./local-url";

export const testDatabaseKind = process.env.REKEY_TEST_DB as "pglite" | "postgres";

/** Opens a fresh migrated database for this test file and makes it the process's database. */
export async function openTestDatabase(): Promise<Database> {
  if (testDatabaseKind === "postgres") return openDatabase({ url: await freshServerDatabase() });
  const pglite = await PGlite.create({ loadDataDir: new Blob([readFileSync(inject("pgliteDump"))]) });
  return openDatabase({ pglite });
}

/** A new migrated database on the PostgreSQL server (a copy of this run's template), by URL; dropped at the run's end. */
export async function freshServerDatabase(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL!;
  assertLocalDatabaseUrl(url);
  // Named after this run's template, so the run's teardown drops its own databases and no other run's.
  const name = `${inject("templateDatabase")}_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("templateDatabase")}`);
      break;
    } catch (error) {
      // Two files copying the template at once: PostgreSQL says it is in use.
      if (attempt > 20) throw error;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  return withDatabase(url, name);
}

/** A migrated embedded database in a folder of its own (tests of what happens to the folder: backups, restores). */
export async function freshEmbeddedFolder(dataDir: string): Promise<void> {
  const pglite = await PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(inject("pgliteDump"))]) });
  await pglite.close();
}

/** Registers hooks that give this test file its own database. */
export function useTestDatabase(): void {
  beforeAll(async () => {
    useDatabase(await openTestDatabase());
    clearVerifyCache();
    resetRestoreGate();
  });
  afterAll(async () => {
    await closeDatabase();
  });
}

export async function testPrisma() {
  return (await getDatabase()).prisma;
}

/** Empties every table, for tests whose assertions count rows across the whole database. */
export async function resetTestData(): Promise<void> {
  // The previous test's verifications may still be on their way to the database (the usage batch's 1 s timer): let
  // them land first rather than race the TRUNCATE (they count keys that are about to go, and are dropped with them).
  await flushUsage().catch(() => {});
  await deleteAllData();
  clearVerifyCache();
}

/** Runs SQL against audit_events as an attacker with database access would: with the append-only trigger turned off. */
export async function tamperAuditEvents(sql: string): Promise<void> {
  const prisma = await testPrisma();
  await prisma.$transaction([
    prisma.$executeRawUnsafe(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`),
    prisma.$executeRawUnsafe(sql),
    prisma.$executeRawUnsafe(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`),
  ]);
}
