/**
 * `npm run backup [-- --out FILE]`: a consistent backup of rekey's database —
 * pg_dump of the PostgreSQL server in DATABASE_URL (while rekey runs), or
 * PGlite's own dump of the embedded database (stop rekey first: one process
 * owns the folder; a running rekey takes its own, see REKEY_BACKUP_EVERY_HOURS).
 * Restore with `npm run restore -- FILE`. README, "Backups and restore".
 */
import "./load-env";
import path from "node:path";
import { parseArgs } from "node:util";
import { dataRoot, folderOwner } from "../lib/db";
import { createBackup } from "../lib/backup/backup";
import { backupFileName } from "../lib/backup/schedule";
import { env } from "../lib/env";

const { values } = parseArgs({ options: { out: { type: "string" } } });
const url = env("DATABASE_URL");
const out = values.out ?? path.join(dataRoot(), "backups", backupFileName(new Date()));
try {
  const source = url ? { url } : { dataDir: path.join(dataRoot(), "pglite") };
  const owner = url ? null : folderOwner(source.dataDir!);
  if (owner)
    throw new Error(`The embedded database is in use by process ${owner}. Stop rekey first, or let it take its own backups (REKEY_BACKUP_EVERY_HOURS).`);
  const result = await createBackup(source as { url: string } | { dataDir: string }, out);
  console.log(`rekey: backup of the ${url ? "PostgreSQL server" : "embedded database"} taken ${result.manifest.takenAt}`);
  console.log(
    `  ${path.relative(process.cwd(), result.file)}  ${(result.bytes / 1e6).toFixed(1)} MB  sha256 ${result.sha256}  (${(result.durationMs / 1000).toFixed(1)} s)`,
  );
  console.log(`  Restore with: npm run restore -- ${path.relative(process.cwd(), result.file)}`);
} catch (error) {
  console.error(`rekey: backup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
