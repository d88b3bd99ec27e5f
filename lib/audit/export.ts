import "server-only";
import type { Db } from "../db";
import type { ExportedAuditEvent } from "./format";
import { readAuditBatch } from "./read";
import { hashedFields } from "./chain";

/**
 * The audit events of a period as one contiguous run of the chain: from the
 * first event at or after `from` to the last before `to`, by sequence, so an
 * exported file can be checked link by link. Null when the period has none.
 */
export async function auditRange(prisma: Db, from: Date, to: Date): Promise<{ firstSeq: bigint; lastSeq: bigint; count: number } | null> {
  const rows = await prisma.$queryRaw<{ first: bigint | null; last: bigint | null }[]>`
    SELECT min(seq) AS first, max(seq) AS last FROM audit_events WHERE at >= ${from} AND at < ${to}`;
  const { first, last } = rows[0] ?? {};
  if (first === null || first === undefined || last === null || last === undefined) return null;
  return { firstSeq: BigInt(first), lastSeq: BigInt(last), count: Number(BigInt(last) - BigInt(first) + 1n) };
}

const BATCH = 5_000;

/** The events of a range in batches, oldest first, as they are exported. */
export async function* streamAuditEvents(prisma: Db, range: { firstSeq: bigint; lastSeq: bigint }): AsyncGenerator<ExportedAuditEvent[]> {
  let cursor = range.firstSeq - 1n;
  for (;;) {
    const events = await readAuditBatch(prisma, cursor, range.lastSeq, BATCH);
    if (events.length === 0) return;
    yield events.map((e) => ({
      seq: String(e.seq),
      ...hashedFields(e),
      hash: e.hash,
    }));
    if (events.length < BATCH) return;
    cursor = events[events.length - 1].seq;
  }
}
