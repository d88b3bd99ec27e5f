/**
 * `npm run restore -- FILE [--journal PATH]… [--no-journal]`: puts a backup
 * back into the database rekey is configured for, then re-applies every
 * revocation made after the backup from the revocation journal(s) (by
 * default this installation's, REKEY_REVOCATION_JOURNAL), so no revoked key
 * comes back. Stop every rekey instance first. README, "Backups and restore".
 */
import "./load-env";
import path from "node:path";
import { parseArgs } from "node:util";
import { closeDatabase, dataRoot } from "../lib/db";
import { restoreBackup } from "../lib/backup/restore";
import { journalPath } from "../lib/backup/journal";
import { env } from "../lib/env";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { journal: { type: "string", multiple: true }, "no-journal": { type: "boolean", default: false } },
});
if (positionals.length !== 1) {
  console.error("usage: npm run restore -- FILE [--journal PATH]… [--no-journal]");
  process.exit(2);
}
const url = env("DATABASE_URL");
const journals = values["no-journal"] ? [] : (values.journal ?? [journalPath()]);
try {
  const report = await restoreBackup(positionals[0], url ? { url } : { dataDir: path.join(dataRoot(), "pglite") }, {
    journals,
    log: (line) => console.log(`rekey: ${line}`),
  });
  console.log(`rekey: restored the backup taken ${report.backup.takenAt} in ${(report.durationMs / 1000).toFixed(1)} s.`);
  if (report.migrationsApplied.length) console.log(`  migrations applied since the backup: ${report.migrationsApplied.join(", ")}`);
  console.log(
    `  revocations: ${report.journal.entries} in the journal, ${report.journal.reapplied} re-applied, ${report.journal.alreadyRevoked} already in the backup, ${report.journal.missingKeys} for keys issued after it (gone)`,
  );
  console.log(`  the database as it was before: ${report.keptBefore}`);
  if (!journals.length) console.log("  --no-journal: revocations made after the backup were NOT re-applied. Revoke those keys again.");
} catch (error) {
  console.error(`rekey: restore failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await closeDatabase();
}
