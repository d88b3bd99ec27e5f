import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";
import { openDatabase } from "../../lib/db";
import { applyMigrations } from "../../lib/migrations";
import { assertLocalDatabaseUrl, withDatabase } from "./local-url";

declare module "vitest" {
  export interface ProvidedContext {
    pgliteDump: string;
    templateDatabase: string;
  }
}

/**
 * Migrates one database per run with Prisma's engine (a real migration
 * test), then every test file starts from a copy: a PGlite data dump, or a
 * PostgreSQL database made from a template.
 */
export default async function setup(project: TestProject) {
  const kind = project.config.env?.REKEY_TEST_DB;
  if (kind === "postgres") {
    const url = process.env.TEST_DATABASE_URL!;
    assertLocalDatabaseUrl(url);
    const template = `rekey_tmpl_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    const db = await openDatabase({ url: withDatabase(url, template) });
    await applyMigrations(db.adapterFactory);
    await db.close();
    project.provide("templateDatabase", template);
    project.provide("pgliteDump", "");
    return async () => {
      // Only this run's: other runs (other checkouts on the same server) may be using theirs right now.
      const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`, [`${template}\\_t\\_%`, template]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      await admin.end();
    };
  }
  const pglite = new PGlite();
  const db = await openDatabase({ pglite });
  await applyMigrations(db.adapterFactory);
  const dump = await pglite.dumpDataDir("none");
  await db.close();
  const dir = mkdtempSync(path.join(tmpdir(), "rekey-test-"));
  const file = path.join(dir, "migrated.tar");
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide("pgliteDump", file);
  project.provide("templateDatabase", "");
  return () => rmSync(dir, { recursive: true, force: true });
}
