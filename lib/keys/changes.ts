import "server-only";
import { getDatabase, getPrisma } from "../db";
import { GoneError, ValidationError } from "../errors";
import { assertServing } from "../backup/gate";
import { getHashingSecrets } from "../secret";
import { getReplicaRecords, getVerificationRecordPage, type VerificationRecord } from "./records";
import { isLegacyPlaceholder } from "./legacy-hash";

/**
 * The replication side of verification (docs/verifier-protocol.md): a
 * snapshot of every key's record and a change stream after it.
 *
 * A cursor is `<xid>.<seq>.<issuedAtMs>`: everything in key_changes up to
 * (xid, seq), ordered by (xid, seq), has been delivered. Only rows of
 * transactions older than every running one (below the snapshot's xmin) are
 * read, so a row that commits later can never sort behind a cursor already
 * handed out. The time says how old the cursor is: key_changes keeps a day,
 * and a cursor older than CURSOR_MAX_AGE_MS is refused (410: load a new
 * snapshot) well before any row it still needs could have been purged.
 */
export const CHANGES_RETENTION_MS = 24 * 3_600_000;
export const CURSOR_MAX_AGE_MS = 12 * 3_600_000;
/** Rows per read: a snapshot page, and changes per answer at most. */
const PAGE = 5_000;
/** Changes per answer at most (the long poll says `more` when there are others). */
export const CHANGES_PAGE = PAGE;

interface Position {
  xid: string;
  seq: string;
}

function formatCursor(p: Position, now: Date): string {
  return `${p.xid}.${p.seq}.${now.getTime()}`;
}

function parseCursor(cursor: string, now: Date): Position {
  const match = /^(\d{1,20})\.(\d{1,20})\.(\d{1,15})$/.exec(cursor);
  if (!match) throw new ValidationError("cursor: must be the cursor of a snapshot or of a previous change response", "cursor");
  if (now.getTime() - Number(match[3]) > CURSOR_MAX_AGE_MS) {
    throw new GoneError("This cursor is older than the change stream keeps: load a new snapshot.");
  }
  return { xid: match[1], seq: match[2] };
}

/** The position before every change not yet finished: where a snapshot taken now begins. */
async function horizon(): Promise<Position> {
  const prisma = await getPrisma();
  const [row] = await prisma.$queryRaw<{ xid: string }[]>`SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xid`;
  // (xmin, 0) sorts before every row of xmin's transaction and after every older one.
  return { xid: row.xid, seq: "0" };
}

export interface SnapshotHeader {
  type: "snapshot";
  version: 1;
  cursor: string;
  generatedAt: string;
  /**
   * The hashing secret versions: the one new hashes are made with, and every
   * one a key may be stored under (numbers only). A replica needs a secret
   * for each version its records use; it refuses to start without the current one.
   */
  hashVersions: { current: number; accepted: number[] };
}

/**
 * Every key's record, as lines of NDJSON: a header with the cursor to follow
 * the stream from, one line per record in hash order, and an end line with
 * the count (a snapshot without it was cut off). The cursor is taken before
 * the first page is read, so a change made while the pages are read is
 * either in them or in the stream after the cursor (applying it twice is
 * harmless: a change carries the record's whole current state).
 */
export async function* snapshotLines(now: Date): AsyncGenerator<string> {
  const start = await horizon();
  const { current, secrets } = getHashingSecrets();
  const header: SnapshotHeader = {
    type: "snapshot",
    version: 1,
    cursor: formatCursor(start, now),
    generatedAt: now.toISOString(),
    hashVersions: { current, accepted: secrets.map((s) => s.version) },
  };
  yield `${JSON.stringify(header)}\n`;
  let after = "";
  let count = 0;
  for (;;) {
    const page = await getVerificationRecordPage(after, PAGE);
    if (page.length === 0) break;
    yield `${page.map((r) => JSON.stringify(r)).join("\n")}\n`;
    count += page.length;
    after = page[page.length - 1].hash;
    if (page.length < PAGE) break;
  }
  yield `${JSON.stringify({ type: "end", count })}\n`;
}

export interface ChangesResponse {
  cursor: string;
  /** The current record of each key that changed; `record: null` when the key no longer exists. */
  changes: { hash: string; record: VerificationRecord | null }[];
  /** Every record may have changed (a policy did): load a new snapshot, then follow from its cursor. */
  reset: boolean;
  /** More changes are waiting: ask again at once. */
  more: boolean;
}

async function readChanges(from: Position, limit: number) {
  const prisma = await getPrisma();
  return prisma.$queryRaw<{ xid: string; seq: string; hash: string | null }[]>`
    SELECT xid::text AS xid, seq::text AS seq, hash FROM key_changes
    WHERE (xid, seq) > (${from.xid}::xid8, ${from.seq}::bigint)
      AND xid < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY xid, seq
    LIMIT ${limit}`;
}

/**
 * The changes after `cursor`; with none, waits up to `waitMs` for one (a
 * long poll woken by the same NOTIFY that invalidates rekey's own caches,
 * and re-checked twice a second, since a change is only readable once every
 * older transaction has finished).
 */
export async function changesAfter(cursor: string, waitMs: number, now: Date, limit = CHANGES_PAGE): Promise<ChangesResponse> {
  await assertServing();
  const from = parseCursor(cursor, now);
  await refuseCursorFromBeforeRestore(cursor);
  const deadline = Date.now() + waitMs;
  let rows = await readChanges(from, limit);
  while (rows.length === 0 && Date.now() < deadline) {
    await nextChange(Math.min(500, deadline - Date.now()));
    rows = await readChanges(from, limit);
  }
  const resetAt = rows.findIndex((r) => r.hash === null);
  const taken = resetAt >= 0 ? rows.slice(0, resetAt + 1) : rows;
  const last = taken[taken.length - 1];
  // An imported key's placeholder ("legacy:…") names nothing a replica holds (getReplicaRecords).
  const hashes = [...new Set(taken.filter((r) => r.hash !== null && !isLegacyPlaceholder(r.hash)).map((r) => r.hash!))];
  const records = new Map((await getReplicaRecords(hashes)).map((r) => [r.hash, r]));
  return {
    cursor: formatCursor(last ? { xid: last.xid, seq: last.seq } : from, now),
    changes: hashes.map((hash) => ({ hash, record: records.get(hash) ?? null })),
    reset: resetAt >= 0,
    more: resetAt < 0 && rows.length === limit,
  };
}

/**
 * A cursor handed out before the last restore points into a history the
 * restore replaced: on an embedded database even the transaction ids start
 * again from the backup's, so changes made since (the re-applied revocations
 * among them) could sort behind it and never be delivered. The replica must
 * load a new snapshot.
 */
async function refuseCursorFromBeforeRestore(cursor: string): Promise<void> {
  const issuedAt = Number(cursor.split(".")[2]);
  const prisma = await getPrisma();
  const [last] = await prisma.$queryRaw<{ startedAt: Date | null }[]>`SELECT max("startedAt") AS "startedAt" FROM restores`;
  if (last?.startedAt && issuedAt <= last.startedAt.getTime()) {
    throw new GoneError("This cursor was handed out before rekey was restored from a backup: load a new snapshot.");
  }
}

// One LISTEN per process for every waiting long poll.
const waiters = new Set<() => void>();
let listening: Promise<unknown> | undefined;

function nextChange(ms: number): Promise<void> {
  listening ??= getDatabase()
    .then((db) => db.listen("rekey_key_changed", () => wakeAll()))
    .catch(() => (listening = undefined));
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    waiters.add(done);
  });
}

function wakeAll() {
  for (const w of [...waiters]) w();
}

/** Forgets changes older than the retention, in bounded batches (the cron's purge). */
export async function purgeKeyChanges(now: Date): Promise<number> {
  const prisma = await getPrisma();
  const cutoff = new Date(now.getTime() - CHANGES_RETENTION_MS);
  let total = 0;
  for (let n = 10_000; n === 10_000; total += n) {
    n = await prisma.$executeRaw`DELETE FROM key_changes WHERE seq IN (SELECT seq FROM key_changes WHERE at < ${cutoff} LIMIT 10000)`;
  }
  return total;
}
