/**
 * npm run bench:restore [-- --db=pglite|postgres] [-- --keys=100000] [-- --revoked=1000]
 *
 * The recovery time the README states, measured: a seeded world is backed up
 * (`createBackup`, what `npm run backup` and the cron run), then `revoked`
 * keys are revoked after the backup and journaled, and the backup is
 * restored with those revocations re-applied (`restoreBackup`, what `npm run
 * restore` runs). Prints the backup's time and size and the restore's time,
 * split into loading the dump and re-applying the journal.
 */
import "../scripts/load-env";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchDatabases, createBenchDatabase, closeDatabase, writeResults, table } from "./support";
import { seedDemoWorld } from "../lib/seed";
import { getDatabase, getPrisma } from "../lib/db";
import { createBackup } from "../lib/backup/backup";
import { syncRevocationJournal } from "../lib/backup/journal";
import { restoreBackup } from "../lib/backup/restore";

const { values } = parseArgs({
  options: { db: { type: "string" }, keys: { type: "string", default: "100000" }, revoked: { type: "string", default: "1000" } },
  strict: false,
});
const KEYS = Number(values.keys);
const REVOKED = Number(values.revoked);

const results: Record<string, unknown>[] = [];
for (const kind of benchDatabases()) {
  console.log(`\n== ${kind}: seeding ${KEYS.toLocaleString("en")} keys`);
  const bench = await createBenchDatabase(kind, "restore");
  const work = mkdtempSync(path.join(tmpdir(), "rekey-bench-restore-"));
  try {
    await seedDemoWorld({ keys: KEYS });
    const db = await getDatabase();
    const journal = path.join(work, "journal.jsonl");
    await syncRevocationJournal({ file: journal });
    const backup = await createBackup(db.pglite ? { pglite: db.pglite } : { url: db.url! }, path.join(work, "bench.rekey-backup"));
    // After the backup: keys revoked (set-based, as a bulk emergency would) and journaled.
    const prisma = await getPrisma();
    const later = new Date();
    await prisma.$executeRaw`UPDATE api_keys SET status = 'revoked', "revokedAt" = ${later} WHERE id IN (SELECT id FROM api_keys WHERE status = 'active' ORDER BY id LIMIT ${REVOKED})`;
    const journaled = await syncRevocationJournal({ file: journal });
    const target = db.pglite ? { dataDir: path.join(bench.env.REKEY_DATA_DIR, "pglite") } : { url: db.url! };
    let loadedAt = 0;
    const started = performance.now();
    const report = await restoreBackup(backup.file, target, {
      journals: [journal],
      keepBeforeIn: work,
      log: (line) => {
        if (line.startsWith("loaded")) loadedAt = performance.now();
      },
    });
    const total = performance.now() - started;
    const row = {
      db: kind,
      keys: KEYS,
      backupMB: +(backup.bytes / 1e6).toFixed(1),
      backupS: +(backup.durationMs / 1000).toFixed(1),
      journaled,
      reapplied: report.journal.reapplied,
      loadS: +((loadedAt - started) / 1000).toFixed(1),
      reapplyS: +((total - (loadedAt - started)) / 1000).toFixed(1),
      restoreS: +(total / 1000).toFixed(1),
    };
    results.push(row);
    table([row]);
  } finally {
    await closeDatabase();
    await bench.drop();
    rmSync(work, { recursive: true, force: true });
  }
}
table(results);
writeResults("restore", results);
