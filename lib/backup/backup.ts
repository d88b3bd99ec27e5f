import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";

/**
 * A backup file: one line `REKEY-BACKUP 1`, one line of JSON (the manifest),
 * then the database's own dump — `pg_dump --format=custom` of a PostgreSQL
 * server, or PGlite's `dumpDataDir` (a gzipped tar of the data folder) of the
 * embedded database. Both are consistent: pg_dump reads one snapshot, and
 * PGlite dumps between two statements of its single connection.
 */
export const BACKUP_MAGIC = "REKEY-BACKUP 1";

export type BackupKind = "pglite" | "postgres";

export interface BackupManifest {
  format: 1;
  kind: BackupKind;
  /** When the dump began: the recovery point (everything committed before it is in the file). */
  takenAt: string;
  payload: "pglite-datadir-tgz" | "pg_dump-custom";
  payloadBytes: number;
  payloadSha256: string;
  /** The newest migration the dumped database had: a restore applies any newer ones. */
  lastMigration: string | null;
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** SHA-256 of the whole file, to compare copies. */
  sha256: string;
  manifest: BackupManifest;
  durationMs: number;
}

/** What to back up: a PostgreSQL server by URL, an open PGlite (the process that owns it), or a PGlite folder no process holds. */
export type BackupSource = { url: string } | { pglite: PGlite } | { dataDir: string };

/** Writes a backup of `source` to `file` (written to a temporary name first, then renamed: a crash leaves no half file under the name). */
export async function createBackup(source: BackupSource, file: string, now: () => Date = () => new Date()): Promise<BackupResult> {
  const started = performance.now();
  const takenAt = now().toISOString();
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const work = mkdtempSync(path.join(tmpdir(), "rekey-backup-"));
  try {
    let payload: Buffer;
    let kind: BackupKind;
    let lastMigration: string | null;
    if ("url" in source) {
      kind = "postgres";
      const dump = path.join(work, "dump");
      const target = withoutPassword(source.url);
      await run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", `--file=${dump}`, `--dbname=${target.url}`], { env: target.env });
      payload = readFileSync(dump);
      lastMigration = await lastMigrationOf({ url: source.url });
    } else {
      kind = "pglite";
      const owned = "dataDir" in source;
      const pglite = "pglite" in source ? source.pglite : await PGlite.create({ dataDir: source.dataDir });
      try {
        lastMigration = await lastMigrationOf({ pglite });
        payload = await dumpQuiet(pglite);
      } finally {
        if (owned) await pglite.close();
      }
    }
    const manifest: BackupManifest = {
      format: 1,
      kind,
      takenAt,
      payload: kind === "postgres" ? "pg_dump-custom" : "pglite-datadir-tgz",
      payloadBytes: payload.length,
      payloadSha256: sha256(payload),
      lastMigration,
    };
    const whole = Buffer.concat([Buffer.from(`${BACKUP_MAGIC}\n${JSON.stringify(manifest)}\n`), payload]);
    const partial = `${file}.partial`;
    writeFileSync(partial, whole, { mode: 0o600 });
    renameSync(partial, file);
    return { file: path.resolve(file), bytes: whole.length, sha256: sha256(whole), manifest, durationMs: Math.round(performance.now() - started) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * PGlite's dump, taken while no transaction is open (it holds PGlite's
 * transaction lock, which the Prisma adapter's transactions take too) and
 * just after a CHECKPOINT, so the folder it packs needs little recovery.
 */
async function dumpQuiet(pglite: PGlite): Promise<Buffer> {
  const exclusive = (pglite as unknown as { _runExclusiveTransaction?: <T>(fn: () => Promise<T>) => Promise<T> })._runExclusiveTransaction?.bind(pglite);
  // exec takes the transaction lock itself: the checkpoint comes first, then the dump under the lock.
  await pglite.exec("CHECKPOINT");
  const dump = async () => Buffer.from(await (await pglite.dumpDataDir("gzip")).arrayBuffer());
  return exclusive ? exclusive(dump) : dump();
}

/** Reads a backup file: its manifest, and its payload after checking the payload's length and SHA-256 against it. */
export function readBackup(file: string): { manifest: BackupManifest; payload: Buffer; sha256: string } {
  let whole: Buffer;
  try {
    whole = readFileSync(file);
  } catch (error) {
    throw new Error(`Cannot read the backup ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
  const first = whole.indexOf(0x0a);
  const second = first < 0 ? -1 : whole.indexOf(0x0a, first + 1);
  if (first < 0 || second < 0 || whole.subarray(0, first).toString() !== BACKUP_MAGIC) {
    throw new Error(`${file} is not a rekey backup (it does not begin with "${BACKUP_MAGIC}").`);
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(whole.subarray(first + 1, second).toString()) as BackupManifest;
  } catch {
    throw new Error(`${file}: the backup's manifest is not JSON.`);
  }
  const payload = whole.subarray(second + 1);
  if (payload.length !== manifest.payloadBytes || sha256(payload) !== manifest.payloadSha256) {
    throw new Error(`${file} is damaged: its dump is ${payload.length} bytes with another SHA-256 than the ${manifest.payloadBytes} bytes its manifest names.`);
  }
  return { manifest, payload, sha256: sha256(whole) };
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function lastMigrationOf(source: { url: string } | { pglite: PGlite }): Promise<string | null> {
  const sql = `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY migration_name DESC LIMIT 1`;
  if ("pglite" in source) {
    const result = await source.pglite.query<{ migration_name: string }>(sql).catch(() => null);
    return result?.rows[0]?.migration_name ?? null;
  }
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  try {
    const result = await client.query<{ migration_name: string }>(sql).catch(() => null);
    return result?.rows[0]?.migration_name ?? null;
  } finally {
    await client.end();
  }
}

/** Runs one of PostgreSQL's client tools; a missing tool or a failure is an error that says which and why. */
export function run(command: string, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...options.env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === "ENOENT"
            ? `${command} is not installed: backups of a PostgreSQL server use its own tools (install the postgresql-client package of the server's version).`
            : `${command}: ${error.message}`,
        ),
      ),
    );
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} failed (exit ${code}): ${redactUrl(err.trim()) || "no message"}`))));
    child.stdin.end(options.stdin ?? "");
  });
}

/** A connection string for PostgreSQL's tools: the password goes in PGPASSWORD, not in the command line other users can read. */
export function withoutPassword(url: string): { url: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  return { url: parsed.toString(), env: password ? { PGPASSWORD: password } : {} };
}

/** A connection string's password never reaches a message. */
function redactUrl(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, "$1***@");
}
