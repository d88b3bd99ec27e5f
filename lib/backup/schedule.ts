import "server-only";
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { dataRoot, getDatabase } from "../db";
import { createBackup, type BackupResult } from "./backup";
import { env, isSet, type Environment } from "../env";

/**
 * Backups the running rekey takes itself, from the cron: every
 * REKEY_BACKUP_EVERY_HOURS (default 24 on the embedded database, whose folder
 * no other process may read while rekey runs; off on a server, where
 * `npm run backup` or the platform's own backups do it), into
 * REKEY_BACKUP_DIR (default `backups` in the data folder), keeping the newest
 * REKEY_BACKUP_KEEP (default 7). The recovery point is at most one interval
 * old; revocations made since are in the journal.
 */
export interface BackupSchedule {
  everyHours: number;
  dir: string;
  keep: number;
}

export function backupSchedule(source: Environment = process.env): BackupSchedule {
  const embedded = !isSet("DATABASE_URL", source);
  return {
    everyHours: env("REKEY_BACKUP_EVERY_HOURS", source) ?? (embedded ? 24 : 0),
    dir: path.resolve(env("REKEY_BACKUP_DIR", source) ?? path.join(dataRoot(source), "backups")),
    keep: env("REKEY_BACKUP_KEEP", source),
  };
}

const SCHEDULED = /^rekey-\d{4}-\d{2}-\d{2}T[\d-]+Z\.rekey-backup$/;

/** The name of a backup taken at `at`: sortable, so the newest is last. */
export function backupFileName(at: Date): string {
  return `rekey-${at.toISOString().replace(/[:.]/g, "-")}.rekey-backup`;
}

function scheduledBackups(dir: string): { file: string; mtime: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => SCHEDULED.test(n))
    .sort()
    .map((n) => ({ file: path.join(dir, n), mtime: statSync(path.join(dir, n)).mtimeMs }));
}

/**
 * The cron's step: a backup when the newest one in the folder is older than
 * the interval, then the oldest beyond REKEY_BACKUP_KEEP deleted. Null when
 * none was due (or scheduled backups are off).
 */
export async function takeScheduledBackupIfDue(now: Date, schedule: BackupSchedule = backupSchedule()): Promise<BackupResult | null> {
  if (schedule.everyHours <= 0) return null;
  const existing = scheduledBackups(schedule.dir);
  const newest = existing[existing.length - 1];
  if (newest && now.getTime() - newest.mtime < schedule.everyHours * 3_600_000) return null;
  const db = await getDatabase();
  const source = db.pglite ? { pglite: db.pglite } : db.url ? { url: db.url } : null;
  if (!source) return null;
  const result = await createBackup(source, path.join(schedule.dir, backupFileName(now)), () => now);
  const all = scheduledBackups(schedule.dir);
  for (const old of all.slice(0, Math.max(0, all.length - schedule.keep))) rmSync(old.file, { force: true });
  return result;
}

/** What the Secrets page shows of backups and the journal: the schedule, the newest backup, the journal's size and age. */
export function backupStatus(schedule: BackupSchedule = backupSchedule()) {
  const backups = scheduledBackups(schedule.dir);
  const newest = backups[backups.length - 1];
  return {
    everyHours: schedule.everyHours,
    dir: schedule.dir,
    kept: backups.length,
    newest: newest ? { name: path.basename(newest.file), bytes: statSync(newest.file).size, at: new Date(newest.mtime) } : null,
  };
}
