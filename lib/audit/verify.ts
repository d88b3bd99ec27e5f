import "server-only";
import type { Db } from "../db";
import { GENESIS_HASH, hashAuditEvent } from "./chain";
import { readAuditBatch } from "./read";

export interface AuditChainResult {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** Hash of the last event checked: the chain head a report can quote. */
  headHash: string;
  /** The first event that does not fit, and why. */
  broken?: { seq: string; reason: string };
}

const BATCH = 5_000;

/**
 * Recomputes the chain from the first event (or from `fromSeq`, trusting the
 * stored hash of the event before it; up to `toSeq` if given) and reports the first break: an edited
 * event no longer matches its hash; a deleted one leaves its successor
 * pointing at a hash that is not the one before it. Reads in batches.
 */
export async function verifyAuditChain(prisma: Db, options: { fromSeq?: bigint; toSeq?: bigint } = {}): Promise<AuditChainResult> {
  let expectedPrev = GENESIS_HASH;
  let cursor = (options.fromSeq ?? 1n) - 1n;
  if (options.fromSeq && options.fromSeq > 1n) {
    const before = await prisma.auditEvent.findFirst({
      where: { seq: { lt: options.fromSeq } },
      orderBy: { seq: "desc" },
      select: { hash: true },
    });
    expectedPrev = before?.hash ?? GENESIS_HASH;
  }
  let checked = 0;
  for (;;) {
    const events = await readAuditBatch(prisma, cursor, options.toSeq ?? null, BATCH);
    for (const event of events) {
      if (event.prevHash !== expectedPrev) {
        return { ok: false, checked, headHash: expectedPrev, broken: { seq: String(event.seq), reason: "an event before this one was deleted or changed" } };
      }
      if (hashAuditEvent(event) !== event.hash) {
        return { ok: false, checked, headHash: expectedPrev, broken: { seq: String(event.seq), reason: "this event was edited after it was written" } };
      }
      expectedPrev = event.hash;
      checked++;
    }
    if (events.length < BATCH) break;
    cursor = events[events.length - 1].seq;
  }
  return { ok: true, checked, headHash: expectedPrev };
}
