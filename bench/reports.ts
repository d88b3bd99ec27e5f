/**
 * npm run bench:reports [-- --db=pglite|postgres] [-- --keys=100000] [-- --events=1000000]
 *
 * The report exports over 100k keys and 1M audit events: the compliance CSV
 * (every key and its rotations, then the exceptions) and the audit log as CSV
 * and JSON Lines. Each runs through the same code the download route streams
 * (generator → recordedDownload → a web stream, read to the end and thrown
 * away), and prints rows/s and how far the process's resident memory grew
 * above what it was before the export (sampled every 20 ms). Target: ≥ 50k
 * rows/s, ≤ 150 MB growth.
 */
import "../scripts/load-env";
import { parseArgs } from "node:util";
import { benchDatabases, createBenchDatabase, closeDatabase, writeResults, table } from "./support";
import { seedDemoWorld } from "../lib/seed";
import { getPrisma, inTransaction } from "../lib/db";
import { appendAuditEvents, type AuditInput } from "../lib/audit/write";
import { auditCsvChunks, auditJsonlChunks, complianceCsvChunks, loadReportContext, recordedDownload } from "../lib/reports/files";
import { signCheckpointIfDue, verifyChainInFullIfDue, verifyRange, CHECKPOINT_EVERY_MINUTES } from "../lib/audit/checkpoints";
import { getComplianceSummary } from "../lib/reports/compliance";
import { analyze } from "../lib/cron/maintenance";
import type { ReportScope } from "../lib/reports/period";

const { values } = parseArgs({
  options: { db: { type: "string" }, keys: { type: "string", default: "100000" }, events: { type: "string", default: "1000000" } },
  strict: false,
});
const KEYS = Number(values.keys);
const EVENTS = Number(values.events);
/** Events written after the nightly checkpoint, before the measured report. */
const AFTER_CHECKPOINT = 10_000;
/** Events written after the cron's last hourly checkpoint. */
const AFTER_HOURLY = 1_000;
const MB = 1024 * 1024;

/** Tops the audit trail up to `total` events: verification-like reads by the bench, chained like any other. */
async function fillAuditTrail(total: number, now: Date) {
  const prisma = await getPrisma();
  let have = await prisma.auditEvent.count();
  const started = performance.now();
  const CHUNK = 10_000;
  while (have < total) {
    const n = Math.min(CHUNK, total - have);
    const at = new Date(now.getTime() - 60 * 86_400_000 + have * 1_000);
    const events: AuditInput[] = Array.from({ length: n }, (_, i) => ({
      actor: "system:seed", // generated data, like the demo world
      action: "bench.sample",
      reason: `synthetic event ${have + i} for bench:reports`,
      after: { index: have + i, note: "filler so the export has a million rows" },
      at: new Date(at.getTime() + i),
    }));
    await inTransaction((tx) => appendAuditEvents(tx, events, now));
    have += n;
  }
  return (performance.now() - started) / 1000;
}

async function measure(name: string, rowsOf: (text: string) => number, make: () => ReadableStream<Uint8Array>) {
  (globalThis as { gc?: () => void }).gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const decoder = new TextDecoder();
  let rows = 0;
  let bytes = 0;
  let carry = "";
  const reader = make().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    const text = carry + decoder.decode(value, { stream: true });
    const cut = text.lastIndexOf("\n");
    rows += rowsOf(text.slice(0, cut + 1));
    carry = text.slice(cut + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    export: name,
    rows,
    seconds: +seconds.toFixed(2),
    "rows/s": Math.round(rows / seconds),
    MB: +(bytes / MB).toFixed(1),
    "RSS before (MB)": Math.round(base / MB),
    "RSS growth (MB)": Math.round((peak - base) / MB),
  };
}

const lines = (text: string) => (text.match(/\n/g) ?? []).length;

const results: Record<string, unknown>[] = [];
for (const kind of benchDatabases()) {
  console.log(`\n== ${kind}: seeding ${KEYS.toLocaleString("en")} keys, then the audit trail up to ${EVENTS.toLocaleString("en")} events`);
  const db = await createBenchDatabase(kind, "reports");
  try {
    const now = new Date();
    let t = performance.now();
    await seedDemoWorld({ keys: KEYS, now });
    console.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const filled = await fillAuditTrail(EVENTS, now);
    console.log(`audit trail filled in ${filled.toFixed(1)} s`);
    const prisma = await getPrisma();
    // Statistics for the rows just loaded, as the cron's hourly ANALYZE (embedded) or autovacuum (a server) has them
    // by the time a nightly checkpoint exists.
    await analyze(prisma);
    const events = await prisma.auditEvent.count();
    const keys = await prisma.apiKey.count();
    // Everything: every key and every event is in scope.
    const scope: ReportScope = {
      from: new Date(now.getTime() - 400 * 86_400_000),
      to: new Date(now.getTime() + 86_400_000),
      organizationId: null,
      environment: null,
      label: "bench",
      preset: "custom",
    };
    t = performance.now();
    const ctx = await loadReportContext(scope, now);
    const contextSeconds = (performance.now() - t) / 1000;
    console.log(
      `summary and chain check over ${ctx.chain.checked.toLocaleString("en")} events: ${contextSeconds.toFixed(1)} s (${ctx.chain.ok ? "intact" : "BROKEN"})`,
    );
    // Issue 13 item 5: after the nightly full check (a checkpoint verified in full), a report resumes from it: time to
    // its first byte (the summary, the chain check of what is newer, and the CSV's first chunk).
    t = performance.now();
    await verifyChainInFullIfDue(now);
    const fullCheckSeconds = (performance.now() - t) / 1000;
    // Not the best case of nothing newer: a busy day's events arrive after the night's checkpoint, the cron's hourly
    // checkpoint carries the verification forward over them, and an hour's events more arrive after that, which the
    // report checks before its first byte.
    await fillAuditTrail(events + AFTER_CHECKPOINT, now);
    t = performance.now();
    await signCheckpointIfDue(new Date(now.getTime() + (CHECKPOINT_EVERY_MINUTES + 1) * 60_000));
    const hourlySeconds = (performance.now() - t) / 1000;
    await fillAuditTrail(events + AFTER_CHECKPOINT + AFTER_HOURLY, now);
    t = performance.now();
    const resumed = await loadReportContext(scope, now);
    await complianceCsvChunks(resumed)[Symbol.asyncIterator]().next();
    const firstByteSeconds = (performance.now() - t) / 1000;
    // Where that time goes: the summary's SQL over every key, and the chain check of what is newer than the anchor.
    t = performance.now();
    await getComplianceSummary(scope);
    const summarySeconds = (performance.now() - t) / 1000;
    t = performance.now();
    await verifyRange(prisma, 1n, (await prisma.auditEvent.aggregate({ _max: { seq: true } }))._max.seq!);
    const resumeSeconds = (performance.now() - t) / 1000;
    console.log(
      `nightly full check ${fullCheckSeconds.toFixed(1)} s; ${AFTER_CHECKPOINT.toLocaleString("en")} events later the hourly checkpoint ${hourlySeconds.toFixed(2)} s; ${AFTER_HOURLY.toLocaleString("en")} events after it, a report's first byte after ${firstByteSeconds.toFixed(2)} s (resumed from event ${resumed.chain.resumedFrom?.seq}, ${resumed.chain.checked.toLocaleString("en")} checked, ${resumed.chain.ok ? "intact" : "BROKEN"}; target ≤ 1 s)`,
    );
    console.log(
      `of which: the summary over ${keys.toLocaleString("en")} keys ${summarySeconds.toFixed(2)} s, the chain check resumed from the hourly checkpoint ${resumeSeconds.toFixed(2)} s (side by side on a server, one after the other on PGlite's one connection)`,
    );
    const record = (file: string) => ({ actor: "system:seed" as const, file, scope });
    const rows = [
      await measure("compliance.csv", lines, () => recordedDownload(complianceCsvChunks(ctx), record("compliance.csv"), now)),
      await measure("audit-log.csv", lines, () => recordedDownload(auditCsvChunks(scope), record("audit-log.csv"), now)),
      await measure("audit-log.jsonl", lines, () => recordedDownload(auditJsonlChunks(scope), record("audit-log.jsonl"), now)),
    ].map((r) => ({ database: kind, keys, events, ...r }));
    table(rows);
    results.push(
      ...rows.map((r) => ({
        ...r,
        "summary + chain check (s)": +contextSeconds.toFixed(2),
        "first byte after a checkpoint (s)": +firstByteSeconds.toFixed(2),
      })),
    );
  } finally {
    await closeDatabase();
    await db.drop();
  }
}
console.log("\n== exports (rows/s target ≥ 50,000; RSS growth target ≤ 150 MB)");
table(results);
writeResults("reports", results);
process.exit(0);
