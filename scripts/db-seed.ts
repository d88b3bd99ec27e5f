/**
 * `npm run db:seed [-- --keys N] [-- --reset]`: creates the demo world (a few
 * hundred keys by default; `--keys 100000` for benchmarks) in a migrated database.
 */
import "./load-env";
import { parseArgs } from "node:util";
import { openDatabase, useDatabase, closeDatabase } from "../lib/db";
import { applyMigrations } from "../lib/migrations";
import { deleteAllData, isDatabaseEmpty, seedDemoWorld } from "../lib/seed";
import { env } from "../lib/env";

const { values } = parseArgs({ options: { keys: { type: "string", default: "300" }, reset: { type: "boolean", default: false } } });
const keys = Number(values.keys);
if (!Number.isInteger(keys) || keys < 20 || keys > 2_000_000) {
  console.error("--keys must be a whole number from 20 to 2000000");
  process.exit(2);
}
const db = await openDatabase({ url: env("DATABASE_URL") });
useDatabase(db);
try {
  await applyMigrations(db.adapterFactory);
  if (values.reset) {
    await deleteAllData();
  } else if (!(await isDatabaseEmpty())) {
    console.error("The database already has data. Run with --reset to replace it with the demo world (this deletes everything).");
    process.exit(1);
  }
  const started = Date.now();
  const summary = await seedDemoWorld({ keys });
  console.log(
    `seeded ${summary.organizations} organizations, ${summary.keys} keys, rotations ${JSON.stringify(summary.rotations)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
} finally {
  await closeDatabase();
}
process.exit(0);
