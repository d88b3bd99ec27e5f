/**
 * How an audit event is written in the exports, one definition for the
 * writer (lib/reports/files.ts) and the offline verifier (./offline.ts), so
 * the verifier can demand the file byte for byte as it was written
 * (docs/audit-chain.md is the recipe for anyone else's verifier).
 */
import { stringify } from "csv-stringify/sync";
import type { ChainedEventContent } from "./chain";

/** One exported event: `seq` (a decimal string), the hashed fields (lib/audit/chain.ts), and `hash`. */
export type ExportedAuditEvent = Omit<ChainedEventContent, "at"> & { seq: string; at: string; hash: string };

/** Every field of an exported event, in the order the files write them. */
export const AUDIT_EXPORT_FIELDS = [
  "seq",
  "at",
  "actor",
  "action",
  "organizationId",
  "keyId",
  "keyFingerprint",
  "rotationId",
  "reason",
  "outcome",
  "before",
  "after",
  "prevHash",
  "hash",
] as const;

/** The one form of a time in the audit trail: ISO 8601 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
export const AUDIT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The event with its fields in export order (whatever order it was built in). */
function ordered(e: ExportedAuditEvent): Record<string, unknown> {
  return Object.fromEntries(AUDIT_EXPORT_FIELDS.map((f) => [f, e[f]]));
}

/** One JSON Lines line (without its newline). */
export function auditJsonLine(e: ExportedAuditEvent): string {
  return JSON.stringify(ordered(e));
}

// An empty string is written quoted (""), null as nothing, so the two read back apart; before/after as JSON text.
const CSV_OPTIONS = { quoted_match: /^$/ } as const;

/** The CSV header line, with its newline. */
export function auditCsvHeader(): string {
  return stringify([[...AUDIT_EXPORT_FIELDS]]);
}

/** The CSV cells of one event. */
export function auditCsvCells(e: ExportedAuditEvent): (string | null)[] {
  return AUDIT_EXPORT_FIELDS.map((f) => (f === "before" || f === "after" ? (e[f] === null ? null : JSON.stringify(e[f])) : (e[f] as string | null)));
}

/** CSV lines of events, each with its newline. */
export function auditCsvLines(events: ExportedAuditEvent[]): string {
  return stringify(events.map(auditCsvCells), CSV_OPTIONS);
}
