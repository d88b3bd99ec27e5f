/**
 * Checks an exported audit log without the database, as written: every line
 * must be byte for byte what rekey writes for the event it holds (exactly the
 * documented fields, in their order and form: ./format.ts), every event's
 * hash is recomputed from its content (lib/audit/chain.ts, the function that
 * wrote it), and every event must point at the hash of the one before. Used by
 * `npm run audit:verify -- FILE` (JSON Lines or CSV), and by the tests.
 *
 * Gaps in `seq` are not tampering: PostgreSQL's sequences skip values after a
 * crash or a rolled-back transaction. A deleted event shows as a broken link
 * instead (the next event's prevHash names a hash no event in the file has).
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { GENESIS_HASH, hashAuditEvent } from "./chain";
import { AUDIT_EXPORT_FIELDS, AUDIT_TIME, auditCsvHeader, auditCsvLines, auditJsonLine, type ExportedAuditEvent } from "./format";

export type { ExportedAuditEvent } from "./format";

export interface OfflineChainResult {
  ok: boolean;
  checked: number;
  firstSeq: string | null;
  lastSeq: string | null;
  /** Sequence values skipped between events (legitimate: see above). */
  seqGaps: number;
  /** The hash the first event builds on: all zeros when the file starts at the beginning of the chain. */
  startsFrom: string | null;
  /** The hash of the last event checked: compare it with the chain head printed in the report. */
  headHash: string | null;
  broken?: { seq: string; line: number; reason: string };
}

/** A line of an export as read: the event, or why the line is not one rekey wrote. */
export type ExportLine =
  | { line: number; event: ExportedAuditEvent; problem?: undefined }
  | { line: number; event?: Partial<ExportedAuditEvent>; problem: string };

const HEX64 = /^[0-9a-f]{64}$/;
const SEQ = /^[1-9][0-9]*$/;

/** Why a parsed record is not an event in the documented form, or null. */
function formProblem(record: Record<string, unknown>): string | null {
  const fields = Object.keys(record);
  const extra = fields.filter((f) => !(AUDIT_EXPORT_FIELDS as readonly string[]).includes(f));
  if (extra.length) return `it has a field the export does not write: ${extra.join(", ")}`;
  const missing = AUDIT_EXPORT_FIELDS.filter((f) => !fields.includes(f));
  if (missing.length) return `it lacks the field ${missing.join(", ")}`;
  if (typeof record.seq !== "string" || !SEQ.test(record.seq)) return "its seq is not a positive whole number in a string";
  if (
    typeof record.at !== "string" ||
    !AUDIT_TIME.test(record.at) ||
    Number.isNaN(new Date(record.at).getTime()) ||
    new Date(record.at).toISOString() !== record.at
  ) {
    return `its time ${JSON.stringify(record.at)} is not written as rekey writes times (UTC, milliseconds, Z: 2026-07-01T09:30:00.000Z)`;
  }
  for (const f of ["actor", "action", "outcome"] as const) if (typeof record[f] !== "string") return `its ${f} is not a string`;
  for (const f of ["organizationId", "keyId", "keyFingerprint", "rotationId", "reason"] as const) {
    if (record[f] !== null && typeof record[f] !== "string") return `its ${f} is neither a string nor null`;
  }
  for (const f of ["prevHash", "hash"] as const)
    if (typeof record[f] !== "string" || !HEX64.test(record[f] as string)) return `its ${f} is not 64 lowercase hex digits`;
  return null;
}

/** A signed head the file must reach (./checkpoint.ts): the check that a chain alone cannot make, that nothing was cut off the end. */
export interface CheckpointHead {
  seq: string;
  hash: string;
}

/** Checks events in file order; with a checkpoint, also that the file reaches its head unchanged. */
export async function verifyExportedEvents(lines: AsyncIterable<ExportLine>, checkpoint?: CheckpointHead): Promise<OfflineChainResult> {
  let prev: string | null = null;
  let prevSeq: bigint | null = null;
  const result: OfflineChainResult = { ok: true, checked: 0, firstSeq: null, lastSeq: null, seqGaps: 0, startsFrom: null, headHash: null };
  for await (const { line, event: e, problem } of lines) {
    const fail = (reason: string) => ({ ...result, ok: false, broken: { seq: typeof e?.seq === "string" ? e.seq : "?", line, reason } });
    if (problem !== undefined) return fail(problem);
    if (result.firstSeq === null) {
      result.firstSeq = e.seq;
      result.startsFrom = e.prevHash;
      if (e.seq === "1" && e.prevHash !== GENESIS_HASH) return fail("the first event of the chain does not start from the genesis hash");
    } else {
      if (BigInt(e.seq) <= prevSeq!) return fail(`its seq ${e.seq} does not follow ${prevSeq}: events were reordered or repeated`);
      if (e.prevHash !== prev) return fail("an event before this one was deleted, reordered or changed");
      result.seqGaps += Number(BigInt(e.seq) - prevSeq! - 1n);
    }
    if (hashAuditEvent({ ...e, at: new Date(e.at) }) !== e.hash) return fail("this event was edited after it was written");
    if (checkpoint && e.seq === checkpoint.seq && e.hash !== checkpoint.hash)
      return fail("this is not the event the checkpoint signed: the chain up to it was rewritten");
    prev = e.hash;
    prevSeq = BigInt(e.seq);
    result.checked++;
    result.lastSeq = e.seq;
    result.headHash = e.hash;
  }
  if (checkpoint && result.ok) {
    const fail = (reason: string) => ({ ...result, ok: false, broken: { seq: checkpoint.seq, line: 0, reason } });
    if (result.lastSeq === null) return fail(`the file holds no events, the checkpoint signs event ${checkpoint.seq}`);
    if (BigInt(result.firstSeq!) > BigInt(checkpoint.seq))
      return fail(`the checkpoint signs event ${checkpoint.seq}, before this file's first event ${result.firstSeq}: use the checkpoint of this file's period`);
    if (BigInt(result.lastSeq) < BigInt(checkpoint.seq))
      return fail(`the file ends at event ${result.lastSeq}, but the checkpoint signs event ${checkpoint.seq}: events were cut off the end`);
  }
  return result;
}

/** JSON Lines: one event per line, exactly as auditJsonLine writes it. */
async function* jsonLines(path: string): AsyncGenerator<ExportLine> {
  const reader = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  let line = 0;
  for await (const text of reader) {
    line++;
    if (text === "") continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch {
      yield { line, problem: "the line is not JSON" };
      return;
    }
    if (!record || typeof record !== "object" || Array.isArray(record)) {
      yield { line, problem: "the line is not a JSON object" };
      return;
    }
    const problem = formProblem(record as Record<string, unknown>);
    const event = record as ExportedAuditEvent;
    if (problem) yield { line, event, problem };
    else if (auditJsonLine(event) !== text)
      yield { line, event, problem: "the line is not byte for byte as rekey writes it (field order, spacing or the form of a value differ)" };
    else yield { line, event };
  }
}

/** CSV: the header, then one record per event, exactly as auditCsvLines writes it. */
async function* csvRows(path: string): AsyncGenerator<ExportLine> {
  // raw: each record's text as it is in the file, to compare with what rekey writes. An empty string is written
  // quoted (""), null as nothing: the two read back apart.
  const parser = createReadStream(path).pipe(
    parse({ raw: true, relax_column_count: true, cast: (value, context) => (value === "" && !context.quoting ? null : value) }),
  );
  let line = 1;
  let header = true;
  for await (const { record, raw } of parser as AsyncIterable<{ record: (string | null)[]; raw: string }>) {
    const at = line;
    line += raw.split("\n").length - 1;
    if (header) {
      header = false;
      if (raw !== auditCsvHeader()) {
        yield { line: at, problem: `the header is not rekey's: expected ${auditCsvHeader().trim()}` };
        return;
      }
      continue;
    }
    if (record.length !== AUDIT_EXPORT_FIELDS.length) {
      yield { line: at, problem: `it has ${record.length} fields, the export writes ${AUDIT_EXPORT_FIELDS.length}` };
      return;
    }
    const cells = Object.fromEntries(AUDIT_EXPORT_FIELDS.map((f, i) => [f, record[i]])) as Record<string, string | null>;
    let event: Record<string, unknown>;
    try {
      event = { ...cells, before: cells.before === null ? null : JSON.parse(cells.before), after: cells.after === null ? null : JSON.parse(cells.after) };
    } catch {
      yield { line: at, event: cells as Partial<ExportedAuditEvent>, problem: "its before or after is not JSON" };
      return;
    }
    const problem = formProblem(event);
    if (problem) yield { line: at, event: event as Partial<ExportedAuditEvent>, problem };
    else if (auditCsvLines([event as ExportedAuditEvent]) !== raw)
      yield {
        line: at,
        event: event as ExportedAuditEvent,
        problem: "the record is not byte for byte as rekey writes it (quoting, spacing or the form of a value differ)",
      };
    else yield { line: at, event: event as ExportedAuditEvent };
  }
}

/** Checks an exported file: `.csv` as CSV, anything else as JSON Lines; with a checkpoint, that it reaches the signed head. */
export function verifyExportFile(path: string, checkpoint?: CheckpointHead): Promise<OfflineChainResult> {
  return verifyExportedEvents(path.toLowerCase().endsWith(".csv") ? csvRows(path) : jsonLines(path), checkpoint);
}
