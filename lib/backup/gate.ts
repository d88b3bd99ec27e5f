import "server-only";
import { getDatabase, type Database } from "../db";
import { ServiceUnavailableError } from "../errors";

/**
 * Whether this process may answer verify (and hand replicas a snapshot): not
 * while a restore is unfinished, since revocations made after the backup are
 * still being re-applied (lib/backup/restore.ts). Read from the database at
 * the first verification and again at most every RECHECK_MS, in the
 * background, so the hot path pays one comparison.
 */
const RECHECK_MS = 5_000;

type Gate = { db?: Database; open: boolean | null; checkedAt: number; checking?: Promise<boolean> };
// On globalThis, like the verify cache: the fast path and Next's routes share a process.
const gate: Gate = ((globalThis as { __rekeyRestoreGate?: Gate }).__rekeyRestoreGate ??= { open: null, checkedAt: 0 });

export const RESTORING_MESSAGE = "rekey is re-applying revocations after a restore from backup and answers again in a moment; until then no key is confirmed.";

async function check(): Promise<boolean> {
  const db = await getDatabase();
  if (gate.db !== db) {
    gate.db = db;
    gate.open = null;
  }
  gate.checking ??= db.prisma.$queryRaw<{ pending: boolean }[]>`SELECT EXISTS (SELECT 1 FROM restores WHERE "finishedAt" IS NULL) AS pending`
    .then(([row]) => {
      gate.open = !row.pending;
      gate.checkedAt = performance.now();
      return gate.open;
    })
    .finally(() => (gate.checking = undefined));
  return gate.checking;
}

/**
 * The gate as last read, without waiting: true (serving), false (a restore is
 * unfinished) or null (not read yet). Starts a re-read in the background when
 * the last one is older than RECHECK_MS.
 */
export function restoreGateOpen(): boolean | null {
  if (gate.open !== null && performance.now() - gate.checkedAt > RECHECK_MS) void check().catch(() => {});
  return gate.open;
}

/** Throws ServiceUnavailableError (503) while a restore is unfinished. */
export async function assertServing(): Promise<void> {
  const open = gate.open === null || gate.open === false ? await check() : restoreGateOpen();
  if (!open) throw new ServiceUnavailableError(RESTORING_MESSAGE);
}

/** Forgets the gate's state (tests that swap databases, and a restore in this process). */
export function resetRestoreGate(): void {
  gate.open = null;
  gate.db = undefined;
}
