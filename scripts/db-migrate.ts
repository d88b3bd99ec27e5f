/** `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in ./data. */
import "./load-env";
import { openDatabase } from "../lib/db";
import { applyMigrations } from "../lib/migrations";
import { env } from "../lib/env";

const db = await openDatabase({ url: env("DATABASE_URL") });
try {
  const applied = await applyMigrations(db.adapterFactory);
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "the database is up to date: nothing to apply.");
} finally {
  await db.close();
}
process.exit(0);
