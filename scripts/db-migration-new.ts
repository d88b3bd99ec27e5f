/**
 * `npm run db:migration:new -- <name>`: writes the next migration from the
 * difference between prisma/migrations and prisma/schema.prisma, the job of
 * `prisma migrate dev --create-only` where its native engine is unavailable.
 */
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { pendingSchemaChange, MIGRATIONS_DIR, LOCKFILE_TEXT } from "../lib/migrations";

const name = (process.argv[2] ?? "").trim();
if (!/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration:new -- <name>   (lower case, digits and _ only)");
  process.exit(2);
}
const sql = await pendingSchemaChange();
if (!sql.trim()) {
  console.log("schema.prisma and the migrations agree: nothing to write.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const dir = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), sql);
const lock = path.join(MIGRATIONS_DIR, "migration_lock.toml");
if (!existsSync(lock)) writeFileSync(lock, LOCKFILE_TEXT);
console.log(`wrote ${path.relative(process.cwd(), dir)}/migration.sql`);
process.exit(0);
