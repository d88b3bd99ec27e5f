import "server-only";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { dataRoot, getPrisma, onCommit, type Db } from "../db";
import { log } from "../log";
import { env, type Environment } from "../env";

/**
 * The revocation journal: an append-only file, outside the database, with one
 * line per revoked key. A database restored from a backup has lost every
 * revocation made after the backup; `npm run restore` re-applies them from
 * here before verify answers again (lib/backup/restore.ts), so a backup can
 * never bring a revoked key — a leaked one included — back to life.
 *
 * The file is written from the database, not by each revoking path: after a
 * commit that changed a key's verification record, on every cron call, and
 * every JOURNAL_SYNC_MS, `syncRevocationJournal` appends the revoked keys the
 * file does not hold yet, and fsyncs. So every way a key can be revoked (the
 * API, the dashboard, the portal, the cron's end of grace, an emergency)
 * reaches it within milliseconds of its commit, and a crash in between is
 * caught by the next sync as long as the database itself survives.
 *
 * Each instance keeps its own journal (REKEY_REVOCATION_JOURNAL, by default
 * `revocation-journal.jsonl` in the data folder) and journals every
 * revocation in the database, not only its own, so any one instance's file
 * is complete up to its last sync; a restore may read several.
 */
export const JOURNAL_SYNC_MS = 30_000;
/**
 * Keys are read back this far behind the newest journaled revocation: a
 * revocation is stamped when its request began, and a long transaction (a
 * cron call's batch) can commit after a later-stamped one.
 */
const LOOKBACK_MS = 24 * 3_600_000;

export interface JournalEntry {
  v: 1;
  type: "key.revoked";
  keyId: string;
  /** The key's display prefix; never the key or its hash. */
  prefix: string;
  organizationId: string;
  revokedAt: string;
  /** When this line was written. */
  journaledAt: string;
}

export function journalPath(source: Environment = process.env): string {
  return path.resolve(env("REKEY_REVOCATION_JOURNAL", source) ?? path.join(dataRoot(source), "revocation-journal.jsonl"));
}

export interface JournalContents {
  entries: JournalEntry[];
  /** A last line cut short by a crash mid-write: left out, and rewritten whole by the next sync. */
  tornTail: boolean;
}

/** The entries of a journal file (none if it does not exist yet). A damaged line other than the last is an error: the file is evidence. */
export function readJournal(file: string): JournalContents {
  if (!existsSync(file)) return { entries: [], tornTail: false };
  const lines = readFileSync(file, "utf8").split("\n");
  const entries: JournalEntry[] = [];
  let tornTail = false;
  lines.forEach((line, index) => {
    if (!line) return;
    let entry: JournalEntry | null = null;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {}
    const valid = entry && entry.v === 1 && entry.type === "key.revoked" && typeof entry.keyId === "string" && !Number.isNaN(Date.parse(entry.revokedAt));
    if (valid) entries.push(entry!);
    else if (index >= lines.length - 2) tornTail = true;
    else throw new Error(`${file}, line ${index + 1}: not a revocation journal entry. The journal is append-only; restore a good copy of it.`);
  });
  return { entries, tornTail };
}

type FileState = { known: Set<string>; newest: number; tornTail: boolean; running?: Promise<number>; again: boolean };
type Sync = { files: Map<string, FileState>; watching: boolean };
// On globalThis, like the database: under `npm start` two copies of this module share one process.
const sync: Sync = ((globalThis as { __rekeyJournal?: Sync }).__rekeyJournal ??= { files: new Map(), watching: false });

function load(file: string): FileState {
  let state = sync.files.get(file);
  if (!state) {
    const { entries, tornTail } = readJournal(file);
    const newest = entries.reduce((max, e) => Math.max(max, Date.parse(e.revokedAt)), 0);
    // Only the recent ids are needed to skip what is already written: older revocations are not read back.
    const known = new Set(entries.filter((e) => Date.parse(e.revokedAt) >= newest - LOOKBACK_MS).map((e) => e.keyId));
    state = { known, newest, tornTail, again: false };
    sync.files.set(file, state);
  }
  return state;
}

/**
 * Appends every revoked key the journal does not hold yet, in one write,
 * fsynced. Returns how many lines it wrote. Calls for one file in one process
 * run one at a time; a call made while one runs runs once more after it.
 */
export function syncRevocationJournal(options: { file?: string; prisma?: Db; now?: Date } = {}): Promise<number> {
  const file = options.file ?? journalPath();
  let state: FileState;
  try {
    state = load(file);
  } catch (error) {
    return Promise.reject(error); // a damaged journal fails the sync, never the commit that asked for it
  }
  if (state.running) {
    state.again = true;
    return state.running;
  }
  const run = async (): Promise<number> => {
    let written = 0;
    do {
      state.again = false;
      written += await syncOnce(file, state, options.prisma ?? (await getPrisma()), options.now ?? new Date());
    } while (state.again);
    return written;
  };
  state.running = run().finally(() => (state.running = undefined));
  return state.running;
}

async function syncOnce(file: string, state: FileState, prisma: Db, now: Date): Promise<number> {
  const since = new Date(Math.max(0, state.newest - LOOKBACK_MS));
  const rows = await prisma.$queryRaw<{ id: string; prefix: string; organizationId: string; revokedAt: Date }[]>`
    SELECT id, prefix, "organizationId", "revokedAt" FROM api_keys
    WHERE status = 'revoked' AND "revokedAt" >= ${since}
    ORDER BY "revokedAt", id`;
  const fresh = rows.filter((r) => !state.known.has(r.id));
  if (!fresh.length) return 0;
  const journaledAt = now.toISOString();
  const text = fresh
    .map((r) =>
      JSON.stringify({
        v: 1,
        type: "key.revoked",
        keyId: r.id,
        prefix: r.prefix,
        organizationId: r.organizationId,
        revokedAt: r.revokedAt.toISOString(),
        journaledAt,
      } satisfies JournalEntry),
    )
    .join("\n");
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, "a", 0o600);
  try {
    // A torn last line (a crash mid-write) is ended first, so it stays one bad line and the next ones read whole.
    writeSync(fd, `${(state.tornTail ? "\n" : "") + text}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  state.tornTail = false;
  for (const r of fresh) {
    state.known.add(r.id);
    state.newest = Math.max(state.newest, r.revokedAt.getTime());
  }
  return fresh.length;
}

/** Forgets what was read of journal files (a test that replaces one, a restore that reads them afresh). */
export function forgetJournalState(): void {
  sync.files.clear();
}

/**
 * Keeps this process's journal current: a sync after each commit that changed
 * a verification record, and one every JOURNAL_SYNC_MS for revocations made by
 * other instances. Called once by the server process when it opens its
 * database; a failure is logged (and the next sync tries again), never thrown
 * into the request that committed.
 */
export function watchRevocationJournal(): void {
  if (sync.watching) return;
  sync.watching = true;
  const run = () => void syncRevocationJournal().catch((error) => log.error({ err: String(error) }, "revocation journal: sync failed"));
  onCommit(run);
  setInterval(run, JOURNAL_SYNC_MS).unref();
  run();
}

/** The journal file's path, how many revocations it holds and when it was last written (the Secrets page). */
export function journalStatus(file: string = journalPath()): { file: string; entries: number; writtenAt: Date | null } {
  if (!existsSync(file)) return { file, entries: 0, writtenAt: null };
  return { file, entries: readJournal(file).entries.length, writtenAt: statSync(file).mtime };
}
