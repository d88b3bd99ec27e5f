import "server-only";
import { createHash } from "node:crypto";
import { stringify } from "csv-stringify/sync";
import { getPrisma, inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { appendAuditEvent } from "../audit/write";
import type { AuditChainResult } from "../audit/verify";
import { auditRange, streamAuditEvents } from "../audit/export";
import { signCheckpoint, verifyRange } from "../audit/checkpoints";
import type { SignedCheckpoint } from "../audit/checkpoint";
import { auditCsvHeader, auditCsvLines, auditJsonLine } from "../audit/format";
import { getComplianceSummary, streamKeyRows, type ComplianceSummary, type KeyReportRow } from "./compliance";
import type { ReportScope } from "./period";

/*
 * The downloadable files. CSV and JSON Lines are produced batch by batch
 * (2,000 keys or 5,000 audit events at a time) into a web stream, so an
 * export of 100,000 keys or a million events never sits in memory.
 */

const encoder = new TextEncoder();
const iso = (d: Date | null | undefined) => (d ? d.toISOString() : "");
const pct = (r: number | null) => (r === null ? "" : (r * 100).toFixed(1));

/** Everything the header of a report says besides the rows: computed once, before the first byte. */
export interface ReportContext {
  scope: ReportScope;
  organizationName: string | null;
  summary: ComplianceSummary;
  /** resumedFrom: the checkpoint verified in full that the check started from, if any (lib/audit/checkpoints.ts verifyRange). */
  chain: AuditChainResult & { firstSeq: string | null; lastSeq: string | null; resumedFrom: { seq: string; verifiedAt: Date } | null };
  /** The chain head the report covers, signed (lib/audit/checkpoints.ts); null when the period has no events or the chain is broken. */
  checkpoint: SignedCheckpoint | null;
}

/** The summary, the audit chain's check over the period, and a signed checkpoint of the head it covers (kept, so it is published). */
export async function loadReportContext(scope: ReportScope, now: Date = new Date()): Promise<ReportContext> {
  const prisma = await getPrisma();
  const [summary, range, org] = await Promise.all([
    getComplianceSummary(scope),
    auditRange(prisma, scope.from, scope.to),
    scope.organizationId ? prisma.organization.findUnique({ where: { id: scope.organizationId }, select: { name: true } }) : null,
  ]);
  const chain = range
    ? { ...(await verifyRange(prisma, range.firstSeq, range.lastSeq)), firstSeq: String(range.firstSeq), lastSeq: String(range.lastSeq) }
    : { ok: true, checked: 0, headHash: "", firstSeq: null, lastSeq: null, resumedFrom: null };
  let checkpoint: SignedCheckpoint | null = null;
  if (range && chain.ok) {
    const head = await prisma.auditEvent.findUniqueOrThrow({ where: { seq: range.lastSeq }, select: { seq: true, hash: true, at: true } });
    checkpoint = await signCheckpoint(prisma, head, "report", now);
  }
  return { scope, organizationName: org?.name ?? null, summary, chain, checkpoint };
}

/** A signed checkpoint as the CSV's header block writes it (docs/audit-chain.md). */
export function checkpointLine(c: SignedCheckpoint): string[] {
  return ["checkpoint", c.statement.seq, c.statement.hash, c.statement.at, "Ed25519", c.keyId, c.publicKey, c.signature];
}

/** The audit chain's verdict in one line, as the CSV and the PDF print it. */
export function chainVerdict(chain: ReportContext["chain"]): string {
  if (chain.checked === 0 && chain.ok) return "no audit events in this period";
  if (!chain.ok) return `BROKEN at event ${chain.broken!.seq}: ${chain.broken!.reason} (${chain.checked} events checked before it)`;
  return `intact: events ${chain.firstSeq} to ${chain.lastSeq} (${chain.checked}) recomputed and linked`;
}

/** The summary as label/value pairs, in the order every format shows them. */
export function summaryFigures(s: ComplianceSummary): [string, string][] {
  return [
    ["Keys in scope", String(s.keysInScope)],
    ["Keys in use at the period's end", String(s.keysInUseAtEnd)],
    ["Compliance at the period's end (%)", pct(s.complianceAtEnd)],
    ["Time-weighted compliance over the period (%)", pct(s.complianceOverPeriod)],
    ["Rotations completed: scheduled", String(s.rotationsCompleted.scheduled)],
    ["Rotations completed: manual", String(s.rotationsCompleted.manual)],
    ["Rotations completed: emergency", String(s.rotationsCompleted.emergency)],
    ["Median key age at the period's end (days)", s.medianAgeDays === null ? "" : String(s.medianAgeDays)],
    ["Max key age at the period's end (days)", s.maxAgeDays === null ? "" : String(s.maxAgeDays)],
    ["Median time from rotation start to the old key's last use (hours)", s.medianHoursToLastUse === null ? "" : String(s.medianHoursToLastUse)],
    ["Postponements", String(s.postponements)],
    ["Exceptions: non-compliant keys", String(s.exceptions.keys)],
    ["Exceptions: overdue rotations", String(s.exceptions.rotations)],
    ["Policies outside the usual bounds", String(s.policyExceptions.length)],
  ];
}

const KEY_COLUMNS = [
  "organization",
  "key",
  "environment",
  "created",
  "retired",
  "last rotated",
  "age at period end (days)",
  "policy",
  "policy version",
  "policy max age (days)",
  "compliant",
  "rotation",
  "kind",
  "state",
  "reason",
  "by",
  "started",
  "deadline",
  "completed",
  "postponements",
  "old key used after deadline",
];

function keyLines(k: KeyReportRow): string[][] {
  const base = [
    k.organization,
    k.prefix,
    k.environment,
    iso(k.createdAt),
    iso(k.retiredAt),
    iso(k.lastRotatedAt),
    String(k.ageDaysAtEnd),
    k.policyName,
    k.policyVersion === null ? "" : String(k.policyVersion),
    String(k.policyMaxAgeDays),
    k.compliant ? "yes" : "no",
  ];
  if (k.rotations.length === 0) return [[...base, "", "", "", "", "", "", "", "", "", ""]];
  return k.rotations.map((r) => [
    ...base,
    r.id,
    r.kind,
    r.state,
    r.reason ?? "",
    r.by,
    iso(r.startedAt),
    iso(r.deadline),
    iso(r.completedAt),
    String(r.postponements),
    r.oldKeyUsedAfterDeadline === null ? "" : r.oldKeyUsedAfterDeadline ? "yes" : "no",
  ]);
}

/** The exceptions of a batch of keys: the key when it is not compliant, and each overdue rotation. */
export function exceptionLines(k: KeyReportRow): string[][] {
  const lines: string[][] = [];
  if (!k.compliant) lines.push(["non-compliant key", k.organization, k.prefix, "", k.exception ?? "", k.recordedReason ?? ""]);
  for (const r of k.rotations) if (r.overdue) lines.push(["overdue rotation", k.organization, k.prefix, r.id, r.overdue, r.reason ?? ""]);
  return lines;
}

const csv = (rows: string[][]) => stringify(rows, { quoted_empty: false });

/**
 * The compliance report as CSV: a header block, then sections (Summary,
 * Keys, Exceptions) separated by a blank line, each with its own header row.
 * The same period and scope give the same bytes (no generation time in it),
 * which is what lets the PDF quote this file's SHA-256.
 */
export async function* complianceCsvChunks(ctx: ReportContext): AsyncGenerator<string> {
  const s = ctx.scope;
  yield csv([
    ["rekey compliance report"],
    ["period", s.label, s.from.toISOString(), (s.periodTo ?? s.to).toISOString()],
    // A period that has not ended is reported as of an instant (in the download link too): the same link, the same file.
    ...(s.asOf ? [["as of", s.asOf.toISOString(), "the period had not ended: every figure is as of this instant"]] : []),
    ["organization", ctx.organizationName ?? "all"],
    ["environment", s.environment ?? "all"],
    ["audit chain", chainVerdict(ctx.chain), "head", ctx.chain.headHash],
    ...(ctx.checkpoint ? [checkpointLine(ctx.checkpoint)] : []),
    [],
    ["Summary"],
    ["figure", "value"],
    ...summaryFigures(ctx.summary),
    [],
    ["Keys"],
    KEY_COLUMNS,
  ]);
  for await (const batch of streamKeyRows(s)) yield csv(batch.flatMap(keyLines));
  yield csv([[], ["Exceptions"], ["type", "organization", "key", "rotation", "what", "reason recorded"]]);
  for await (const batch of streamKeyRows(s, { onlyExceptions: true })) {
    const lines = batch.flatMap(exceptionLines);
    if (lines.length) yield csv(lines);
  }
  yield csv([[], ["Policies outside the usual bounds"], ["policy", "outside the usual bounds", "reason recorded"], ...policyExceptionLines(ctx.summary)]);
  yield csv([[], ["Controls"], ["framework", "control", "what it asks", "evidence in this report"], ...controlLines(ctx)]);
}

/**
 * The controls auditors test, each with what it asks and this report's
 * evidence for it (the figures above, the exceptions, the audit chain), so
 * an auditor maps the report to PCI DSS, SOC 2 and ISO/IEC 27001 without
 * re-reading it. The requirement texts are short paraphrases, not quotations.
 */
export function controlLines(ctx: ReportContext): string[][] {
  const s = ctx.summary;
  const kinds = s.rotationsCompleted;
  const rate =
    s.complianceAtEnd === null
      ? "no keys in use"
      : `${pct(s.complianceAtEnd)}% of keys in use within their policy's max age (${s.compliantAtEnd} of ${s.keysInUseAtEnd})`;
  const exceptions = `${s.exceptions.keys} non-compliant key(s) and ${s.exceptions.rotations} overdue rotation(s), each with its reason (Exceptions)`;
  const chain = `audit chain ${chainVerdict(ctx.chain)}${ctx.checkpoint ? `; head signed (Ed25519 key ${ctx.checkpoint.keyId}, the checkpoint printed with this report)` : ""}`;
  const policies = s.policyExceptions.length
    ? `${s.policyExceptions.length} policy exception(s) with the reason recorded`
    : "every policy within the usual bounds (max age at most 365 days)";
  return [
    [
      "PCI DSS v4.0",
      "8.6.3",
      "Application and system account credentials are changed periodically and upon suspicion or confirmation of compromise.",
      `${rate}; rotations completed: ${kinds.scheduled} scheduled and ${kinds.manual} manual (periodic), ${kinds.emergency} emergency (on compromise); ${exceptions}`,
    ],
    [
      "SOC 2",
      "CC6.1",
      "Logical access to information assets is restricted and credentials are protected.",
      `keys stored only as keyed hashes, shown once; ${rate}; ${policies}`,
    ],
    [
      "SOC 2",
      "CC6.2",
      "Credentials are issued to authorized parties and removed when no longer needed.",
      `every key issued, revoked and rotated is an audit event with its actor (audit log of the period); ${s.keysInScope} key(s) in scope, ${s.keysInUseAtEnd} in use at the end`,
    ],
    [
      "SOC 2",
      "CC6.3",
      "Access is authorized, changed and removed based on roles and least privilege.",
      "actions by role (admin, operator, auditor, customer) with the actor in every audit event; each key carries its scopes and environment (Keys)",
    ],
    [
      "SOC 2",
      "CC7.2",
      "System components are monitored for anomalies indicating malicious acts or errors.",
      `alerts for keys past max age, revoked keys still tried, failed verification spikes and rotation failures; ${exceptions}; median hours from a rotation's start to the old key's last use: ${s.medianHoursToLastUse ?? "n/a"}`,
    ],
    [
      "ISO/IEC 27001:2022",
      "A.5.17",
      "Authentication information is allocated and managed by a defined process, including its change.",
      `rotation policies (max age, grace, notice, postponements); ${rate}; ${s.postponements} postponement(s); ${policies}`,
    ],
    ["ISO/IEC 27001:2022", "A.8.15", "Logs recording activities and events are produced, kept, protected and analysed.", chain],
  ];
}

/** The policies in scope outside the usual bounds, with the admin's recorded reason. */
export function policyExceptionLines(s: ComplianceSummary): string[][] {
  return s.policyExceptions.map((e) => [e.policy, e.outside, e.reason ?? "no reason recorded"]);
}

/** The audit log of the period as CSV (lib/audit/format.ts: before/after as JSON; an empty string is quoted, null is empty). */
export async function* auditCsvChunks(scope: ReportScope): AsyncGenerator<string> {
  const prisma = await getPrisma();
  yield auditCsvHeader();
  const range = await auditRange(prisma, scope.from, scope.to);
  if (!range) return;
  for await (const batch of streamAuditEvents(prisma, range)) yield auditCsvLines(batch);
}

/** The audit log of the period as JSON Lines: one event per line, exactly as hashed (lib/audit/format.ts). */
export async function* auditJsonlChunks(scope: ReportScope): AsyncGenerator<string> {
  const prisma = await getPrisma();
  const range = await auditRange(prisma, scope.from, scope.to);
  if (!range) return;
  for await (const batch of streamAuditEvents(prisma, range)) yield batch.map((e) => `${auditJsonLine(e)}\n`).join("");
}

/** SHA-256 (hex) of what a generator produces, without keeping it. */
export async function digestOf(chunks: AsyncIterable<string>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of chunks) {
    const data = encoder.encode(chunk);
    bytes += data.byteLength;
    hash.update(data);
  }
  return { sha256: hash.digest("hex"), bytes };
}

export interface DownloadRecord {
  actor: Actor;
  file: string;
  scope: ReportScope;
  chainHead?: string;
  /** The compliance CSV's digest, for the PDF (which quotes it). */
  evidenceSha256?: string;
}

/**
 * A download as a web stream: the chunks are sent as they are produced, hashed
 * on the way, and when the last one is out the download is audited (who, what,
 * the period, the SHA-256 and size of the file). A download the client
 * abandons is not recorded as made.
 */
export function recordedDownload(chunks: AsyncIterable<string | Uint8Array>, record: DownloadRecord, now: Date): ReadableStream<Uint8Array> {
  const hash = createHash("sha256");
  let bytes = 0;
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) {
        await inTransaction((tx) =>
          appendAuditEvent(
            tx,
            {
              actor: record.actor,
              action: "report.downloaded",
              organizationId: record.scope.organizationId,
              reason: `${record.file}, ${record.scope.label}`,
              after: {
                file: record.file,
                from: record.scope.from.toISOString(),
                to: record.scope.to.toISOString(),
                organizationId: record.scope.organizationId,
                environment: record.scope.environment,
                sha256: hash.digest("hex"),
                bytes,
                ...(record.chainHead !== undefined ? { chainHead: record.chainHead } : {}),
                ...(record.evidenceSha256 ? { evidenceSha256: record.evidenceSha256 } : {}),
              },
            },
            now,
          ),
        );
        controller.close();
        return;
      }
      const data = typeof next.value === "string" ? encoder.encode(next.value) : next.value;
      bytes += data.byteLength;
      hash.update(data);
      controller.enqueue(data);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
