import "server-only";
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { closeDatabase, dataRoot, folderOwner, getPrisma, inTransaction, openDatabase, useDatabase } from "../db";
import { applyMigrations } from "../migrations";
import { appendAuditEvents } from "../audit/write";
import { SYSTEM_RESTORE } from "../auth/actor";
import { revokeKeyInTx } from "../keys/mutations";
import { clearVerifyCache } from "../keys/verify";
import { createBackup, readBackup, run, withoutPassword, type BackupManifest } from "./backup";
import { forgetJournalState, readJournal, type JournalEntry } from "./journal";
import { resetRestoreGate } from "./gate";

/**
 * `npm run restore -- FILE`: puts a backup back and re-applies every
 * revocation made since, from the revocation journal(s), before verify
 * answers again. While the restore is unfinished (a `restores` row without
 * `finishedAt`) verify and the replicas' snapshot answer 503; `npm start`
 * finishes an interrupted one before it serves. What the database had before
 * is kept (the embedded folder renamed aside; a server's database dumped to a
 * backup file first), so a restore of the wrong file loses nothing.
 */

export type RestoreTarget = { url: string } | { dataDir: string };

export interface RestoreReport {
  backup: { file: string; takenAt: string; sha256: string };
  /** Where the database as it was before the restore was kept. */
  keptBefore: string;
  migrationsApplied: string[];
  journal: { files: string[]; entries: number; reapplied: number; alreadyRevoked: number; missingKeys: number };
  durationMs: number;
}

/** Re-applied revocations per transaction: each is the one revoke path with its audit events. */
const BATCH = 200;

export interface RestoreOptions {
  /** The revocation journals to re-apply (every instance's, when they keep their own). */
  journals: string[];
  /** Where a server database's pre-restore dump goes (default: `backups` in the data folder). */
  keepBeforeIn?: string;
  now?: () => Date;
  log?: (line: string) => void;
}

export async function restoreBackup(file: string, target: RestoreTarget, options: RestoreOptions): Promise<RestoreReport> {
  const started = performance.now();
  const now = options.now ?? (() => new Date());
  const say = options.log ?? (() => {});
  const { manifest, payload, sha256 } = readBackup(file);
  const expected = "url" in target ? "postgres" : "pglite";
  if (manifest.kind !== expected) {
    throw new Error(
      `${file} is a backup of ${databaseKind(manifest.kind)}; this restore is into ${databaseKind(expected)}. Restore it where it was taken (DATABASE_URL ${manifest.kind === "postgres" ? "set" : "unset"}).`,
    );
  }
  // Every journal is read before anything changes: a damaged one stops the restore here.
  const entries = readJournals(options.journals);
  say(`backup taken ${manifest.takenAt}; ${entries.size} revoked key(s) in ${options.journals.length} journal(s)`);

  await closeDatabase();
  const keptBefore =
    "url" in target
      ? await loadIntoServer(target.url, payload, now(), options.keepBeforeIn ?? path.join(dataRoot(), "backups"))
      : await loadIntoFolder(target.dataDir, payload, now());
  say(`loaded the backup; what was there before is kept in ${keptBefore}`);

  const db = await openDatabase("url" in target ? { url: target.url } : { dataDir: target.dataDir });
  useDatabase(db);
  resetRestoreGate();
  clearVerifyCache();
  forgetJournalState();
  const migrationsApplied = await applyMigrations(db.adapterFactory);
  const prisma = await getPrisma();
  const restore = await prisma.restore.create({
    data: { startedAt: now(), backupTakenAt: new Date(manifest.takenAt), backupFile: path.basename(file), backupSha256: sha256, journalEntries: entries.size },
  });
  const journal = await reapplyRevocations(restore.id, entries, now);
  say(`re-applied ${journal.reapplied} revocation(s); ${journal.alreadyRevoked} already in the backup; ${journal.missingKeys} for keys issued after it`);
  return {
    backup: { file: path.resolve(file), takenAt: manifest.takenAt, sha256 },
    keptBefore,
    migrationsApplied,
    journal: { files: options.journals.map((f) => path.resolve(f)), entries: entries.size, ...journal },
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Finishes a restore left unfinished (the process died while re-applying):
 * `npm start` calls it before serving. Re-applying is idempotent, so it simply
 * runs again over the journals.
 */
export async function finishPendingRestore(journals: string[], now: () => Date = () => new Date()): Promise<{ restoreId: string; reapplied: number } | null> {
  const prisma = await getPrisma();
  const pending = await prisma.restore.findFirst({ where: { finishedAt: null }, orderBy: { startedAt: "desc" } });
  if (!pending) return null;
  const result = await reapplyRevocations(pending.id, readJournals(journals), now);
  return { restoreId: pending.id, reapplied: result.reapplied };
}

function readJournals(files: string[]): Map<string, JournalEntry> {
  const entries = new Map<string, JournalEntry>();
  for (const file of files) {
    if (!existsSync(file))
      throw new Error(
        `The revocation journal ${file} does not exist. Name each instance's journal with --journal (REKEY_REVOCATION_JOURNAL), or --no-journal to restore without one (revocations made after the backup are then lost).`,
      );
    for (const entry of readJournal(file).entries) entries.set(entry.keyId, entry);
  }
  return entries;
}

async function reapplyRevocations(restoreId: string, entries: Map<string, JournalEntry>, now: () => Date) {
  const prisma = await getPrisma();
  const ids = [...entries.keys()];
  const present = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 10_000) {
    const rows = await prisma.apiKey.findMany({ where: { id: { in: ids.slice(i, i + 10_000) } }, select: { id: true, status: true } });
    for (const r of rows) present.set(r.id, r.status);
  }
  const due = ids.filter((id) => present.has(id) && present.get(id) !== "revoked");
  const missingKeys = ids.length - present.size;
  const alreadyRevoked = present.size - due.length;
  for (let i = 0; i < due.length; i += BATCH) {
    const batch = due.slice(i, i + BATCH);
    const at = now();
    await inTransaction(async (tx) => {
      for (const keyId of batch) {
        const entry = entries.get(keyId)!;
        await revokeKeyInTx(
          tx,
          { keyId, reason: `re-applied after a restore from backup: revoked at ${entry.revokedAt}, after the backup was taken` },
          { actor: SYSTEM_RESTORE, now: at },
        );
      }
    });
  }
  const finished = now();
  // The restore's own record and audit event commit together, after the last revocation: until then verify stays shut.
  await inTransaction(async (tx) => {
    const restore = await tx.restore.update({ where: { id: restoreId }, data: { finishedAt: finished, reapplied: { increment: due.length }, missingKeys } });
    await appendAuditEvents(
      tx,
      [
        {
          actor: SYSTEM_RESTORE,
          action: "system.restored",
          reason: `restored ${restore.backupFile} (taken ${restore.backupTakenAt.toISOString()}); everything after that instant is gone except revocations, re-applied from the journal`,
          before: { backupTakenAt: restore.backupTakenAt.toISOString(), backupSha256: restore.backupSha256 },
          after: { journalEntries: entries.size, reapplied: due.length, alreadyRevoked, missingKeys, restoreId },
        },
      ],
      finished,
    );
  });
  resetRestoreGate();
  clearVerifyCache();
  return { reapplied: due.length, alreadyRevoked, missingKeys };
}

function databaseKind(kind: BackupManifest["kind"]): string {
  return kind === "postgres" ? "a PostgreSQL server" : "the embedded database";
}

/**
 * Replaces the server database's contents with the dump, in one transaction
 * (the schema dropped and the dump's statements run by psql -1): a failure
 * leaves the database as it was. Refuses while anything else is connected,
 * since a running rekey would answer from a database changing under it.
 */
async function loadIntoServer(url: string, payload: Buffer, now: Date, keepDir: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    if (rows[0].n > 0) {
      throw new Error(`${rows[0].n} other connection(s) to this database: stop every rekey instance (and anything else using it) before restoring.`);
    }
  } finally {
    await client.end();
  }
  const keep = path.join(keepDir, `pre-restore-${stamp(now)}.rekey-backup`);
  await createBackup({ url }, keep);
  const work = mkdtempSync(path.join(tmpdir(), "rekey-restore-"));
  try {
    const dump = path.join(work, "dump");
    writeFileSync(dump, payload, { mode: 0o600 });
    const script = path.join(work, "restore.sql");
    await run("pg_restore", ["--no-owner", "--no-privileges", `--file=${script}`, dump]);
    const target = withoutPassword(url);
    await run(
      "psql",
      [
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "-v",
        "ON_ERROR_STOP=1",
        "-c",
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
        "-f",
        script,
        target.url,
      ],
      { env: target.env },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return keep;
}

/** Renames the folder aside (refused while a process holds it) and unpacks the backup in its place. */
async function loadIntoFolder(dataDir: string, payload: Buffer, now: Date): Promise<string> {
  const folder = path.resolve(dataDir);
  const owner = folderOwner(folder);
  if (owner) throw new Error(`The embedded database ${folder} is in use by process ${owner}. Stop rekey before restoring.`);
  const kept = `${folder}.before-restore-${stamp(now)}`;
  if (existsSync(folder)) renameSync(folder, kept);
  const pglite = await PGlite.create({ dataDir: folder, loadDataDir: new Blob([new Uint8Array(payload)]) });
  await pglite.close();
  return kept;
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[:.]/g, "-");
}
