/**
 * Checks an exported audit log without the database: each event's hash is
 * recomputed from its content (lib/audit/chain.ts, the same function that
 * wrote it) and each event must point at the hash of the one before. Used by
 * `npm run audit:verify -- FILE` (JSON Lines or CSV), and by the tests.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { GENESIS_HASH, hashAuditEvent, type ChainedEventContent } from "./chain";

/** One audit event as the exports write it (JSON Lines; the CSV holds the same fields). */
export type ExportedAuditEvent = Omit<ChainedEventContent, "at"> & { seq: string; at: string; hash: string };

export interface OfflineChainResult {
  ok: boolean;
  checked: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** The hash the first event builds on: all zeros when the file starts at the beginning of the chain. */
  startsFrom: string | null;
  /** The hash of the last event checked: compare it with the chain head printed in the report. */
  headHash: string | null;
  broken?: { seq: string; line: number; reason: string };
}

/** Checks events in file order. */
export async function verifyExportedEvents(events: AsyncIterable<ExportedAuditEvent>): Promise<OfflineChainResult> {
  let prev: string | null = null;
  let prevSeq: bigint | null = null;
  const result: OfflineChainResult = { ok: true, checked: 0, firstSeq: null, lastSeq: null, startsFrom: null, headHash: null };
  let line = 0;
  for await (const e of events) {
    line++;
    const fail = (reason: string) => ({ ...result, ok: false, broken: { seq: String(e.seq), line, reason } });
    if (result.firstSeq === null) {
      result.firstSeq = String(e.seq);
      result.startsFrom = e.prevHash;
      if (e.seq === "1" && e.prevHash !== GENESIS_HASH) return fail("the first event of the chain does not start from the genesis hash");
    } else {
      if (e.prevHash !== prev) return fail("an event before this one was deleted, reordered or changed");
      if (prevSeq !== null && BigInt(e.seq) !== prevSeq + 1n) return fail(`sequence jumps from ${prevSeq} to ${e.seq}: events are missing`);
    }
    const content = { ...e, at: new Date(e.at) };
    if (Number.isNaN(content.at.getTime())) return fail("its time is not a valid timestamp");
    if (hashAuditEvent(content) !== e.hash) return fail("this event was edited after it was written");
    prev = e.hash;
    prevSeq = BigInt(e.seq);
    result.checked++;
    result.lastSeq = String(e.seq);
    result.headHash = e.hash;
  }
  return result;
}

async function* jsonLines(path: string): AsyncGenerator<ExportedAuditEvent> {
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) yield JSON.parse(line) as ExportedAuditEvent;
}

async function* csvRows(path: string): AsyncGenerator<ExportedAuditEvent> {
  // The export quotes an empty string ("") and leaves null unquoted and empty: the two read back apart.
  const parser = createReadStream(path).pipe(parse({ columns: true, bom: true, cast: (value, context) => (value === "" && !context.quoting ? null : value) }));
  const nullable = (v: string | null) => v;
  for await (const r of parser as AsyncIterable<Record<string, string>>) {
    yield {
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      organizationId: nullable(r.organizationId),
      keyId: nullable(r.keyId),
      keyFingerprint: nullable(r.keyFingerprint),
      rotationId: nullable(r.rotationId),
      reason: nullable(r.reason),
      outcome: r.outcome,
      before: r.before === null ? null : JSON.parse(r.before),
      after: r.after === null ? null : JSON.parse(r.after),
      prevHash: r.prevHash,
      hash: r.hash,
    };
  }
}

/** Checks an exported file: `.csv` as CSV, anything else as JSON Lines. */
export function verifyExportFile(path: string): Promise<OfflineChainResult> {
  return verifyExportedEvents(path.toLowerCase().endsWith(".csv") ? csvRows(path) : jsonLines(path));
}
