import "server-only";
import path from "node:path";
import PDFDocument from "pdfkit";
import { formatUtcMinute } from "../time";
import { chainVerdict, controlLines, exceptionLines, policyExceptionLines, summaryFigures, type ReportContext } from "./files";
import { streamKeyRows, type KeyReportRow } from "./compliance";

// Fonts embedded in the file (DejaVu, from the dejavu-fonts-ttf package), not PDF's standard 14 that a reader
// substitutes: what an archival PDF (PDF/A) requires, and the same glyphs on every machine.
const FONT_DIR = path.resolve(/*turbopackIgnore: true*/ process.env.REKEY_ROOT ?? process.cwd(), "node_modules", "dejavu-fonts-ttf", "ttf");
const FONT = "Body";
const FONT_BOLD = "Body-Bold";
const FONT_MONO = "Mono";

/** At most this many rows of each table go into the PDF; the CSV has them all. */
export const PDF_TABLE_ROWS = 400;

const INK = "#16181d";
const MUTED = "#5b6270";
const LINE = "#d5d9e0";
const ACCENT = "#3b5bdb";
const OK = "#2b8a3e";
const BAD = "#c92a2a";
const utc = (d: Date | null | undefined) => (d ? formatUtcMinute(d).replace(" UTC", "") : "-");
const day = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 10) : "-");
const pct = (r: number | null) => (r === null ? "n/a" : `${(r * 100).toFixed(1)}%`);

export interface PdfMeta {
  /** SHA-256 of the CSV of the same report: the evidence the PDF's figures come from. */
  evidenceSha256: string;
  /** The download path of that CSV (with the instant, for a period that has not ended): what to fetch to compare. */
  evidencePath: string;
  generatedAt: Date;
  generatedBy: string;
}

/**
 * The compliance report as a PDF document (pdfkit, drawn, not a screenshot):
 * a title page with the evidence digests, the summary with charts, the
 * exceptions and the keys. Tables stop at PDF_TABLE_ROWS rows and say so.
 */
export async function compliancePdf(ctx: ReportContext, meta: PdfMeta): Promise<Buffer> {
  // PDF/A-2b (archival: fonts embedded, an sRGB output intent, XMP metadata), with its title shown and its language set.
  const doc = new PDFDocument({
    size: "A4",
    margin: 50,
    bufferPages: true,
    pdfVersion: "1.7",
    subset: "PDF/A-2b",
    lang: "en-GB",
    displayTitle: true,
    font: path.join(FONT_DIR, "DejaVuSans.ttf"),
    info: { Title: `rekey compliance report, ${ctx.scope.label}`, Author: "rekey", Subject: "API key rotation compliance" },
  });
  doc.registerFont(FONT, path.join(FONT_DIR, "DejaVuSans.ttf"));
  doc.registerFont(FONT_BOLD, path.join(FONT_DIR, "DejaVuSans-Bold.ttf"));
  doc.registerFont(FONT_MONO, path.join(FONT_DIR, "DejaVuSansMono.ttf"));
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const width = doc.page.width - 100;
  const s = ctx.summary;

  // Title page.
  doc.rect(0, 0, doc.page.width, 8).fill(ACCENT);
  doc.fillColor(ACCENT).font(FONT_BOLD).fontSize(12).text("rekey", 50, 70);
  doc.moveDown(4).fillColor(INK).fontSize(30).text("Compliance report");
  doc.moveDown(0.3).fontSize(15).font(FONT).fillColor(MUTED).text(ctx.scope.label);
  doc.moveDown(1.5).fontSize(11).fillColor(INK);
  const facts: [string, string][] = [
    ["Organization", ctx.organizationName ?? "All organizations"],
    ["Environment", ctx.scope.environment ?? "live and test"],
    ["Period (UTC)", `${utc(ctx.scope.from)} to ${utc(ctx.scope.periodTo ?? ctx.scope.to)} (end excluded)`],
    ...(ctx.scope.asOf ? [["As of", `${utc(ctx.scope.asOf)} UTC: the period had not ended; every figure is as of this instant`] as [string, string]] : []),
    ["Generated", `${utc(meta.generatedAt)} UTC by ${meta.generatedBy}`],
  ];
  for (const [k, v] of facts) doc.font(FONT_BOLD).text(`${k}: `, { continued: true }).font(FONT).text(v);
  // An open period speaks in the present, as of its instant; an ended one in the past.
  const open = ctx.scope.asOf ? `as of ${utc(ctx.scope.asOf)} UTC` : null;
  const headline =
    s.complianceAtEnd === null
      ? open
        ? `No keys in use ${open}.`
        : "No keys in use at the end of the period."
      : open
        ? `${pct(s.complianceAtEnd)} of keys in use are within policy ${open} (${s.compliantAtEnd} of ${s.keysInUseAtEnd}).`
        : `${pct(s.complianceAtEnd)} of keys in use were within policy at the end of the period (${s.compliantAtEnd} of ${s.keysInUseAtEnd}).`;
  doc.moveDown(2).font(FONT_BOLD).fontSize(14).fillColor(s.exceptions.total ? BAD : OK).text(headline, { width });
  doc.moveDown(0.4).font(FONT).fontSize(11).fillColor(INK).text(`${s.exceptions.total} exception(s): ${s.exceptions.keys} non-compliant key(s), ${s.exceptions.rotations} overdue rotation(s).`);

  // Evidence box.
  const boxY = doc.y + 30;
  doc.roundedRect(50, boxY, width, 215, 6).lineWidth(1).strokeColor(LINE).stroke();
  doc.fillColor(INK).font(FONT_BOLD).fontSize(11).text("Evidence", 64, boxY + 14);
  doc.font(FONT).fontSize(9).fillColor(MUTED).text("This report's figures come from its CSV, which rekey gives at this path, the same bytes at every download:", 64, boxY + 34, { width: width - 28 });
  doc.font(FONT_MONO).fontSize(8).fillColor(INK).text(meta.evidencePath, { width: width - 28 });
  doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.4).text("Its SHA-256 (download it and compare):", { width: width - 28 });
  doc.font(FONT_MONO).fontSize(9).fillColor(INK).text(meta.evidenceSha256, { width: width - 28 });
  doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.6).text("Audit trail over the period (verifyAuditChain):", { width: width - 28 });
  doc.font(FONT_BOLD).fontSize(9).fillColor(ctx.chain.ok ? OK : BAD).text(chainVerdict(ctx.chain), { width: width - 28 });
  if (ctx.chain.resumedFrom) {
    doc.font(FONT).fontSize(8).fillColor(MUTED).text(`Events up to ${ctx.chain.resumedFrom.seq} were recomputed from the first event of the chain on ${utc(ctx.chain.resumedFrom.verifiedAt)} UTC (a signed checkpoint verified in full); the rest now.`, { width: width - 28 });
  }
  doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.4).text("Chain head (hash of the last event in the period):", { width: width - 28 });
  doc.font(FONT_MONO).fontSize(9).fillColor(INK).text(ctx.chain.headHash || "-", { width: width - 28 });
  if (ctx.checkpoint) {
    doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.4).text(`Signed checkpoint of that head (event ${ctx.checkpoint.statement.seq}, ${ctx.checkpoint.statement.at}; Ed25519, key ${ctx.checkpoint.keyId}):`, { width: width - 28 });
    doc.font(FONT_MONO).fontSize(8).fillColor(INK).text(ctx.checkpoint.signature, { width: width - 28 });
  }
  doc.font(FONT).fontSize(8).fillColor(MUTED).text("Each download of this report is itself an audit event holding the file's SHA-256: match it later against the system's record. The checkpoint's public key is published at /.well-known/rekey-checkpoint-keys.json; check it with npm run audit:verify -- FILE --checkpoint CHECKPOINT.", 50, boxY + 230, { width });

  // Summary and charts.
  doc.addPage();
  heading(doc, "Summary");
  doc.font(FONT).fontSize(10).fillColor(INK);
  doc.table({
    columnStyles: ["*", 110],
    defaultStyle: { border: { bottom: 0.5 }, borderColor: LINE, padding: [5, 6, 5, 6] as never },
    rowStyles: (i) => (i === 0 ? { backgroundColor: "#eef1f6", font: { src: FONT_BOLD } } : {}) as never,
    data: [["Figure", "Value"], ...summaryFigures(s).map(([k, v]) => [k, { text: v || "n/a", align: { x: "right" as const } }])],
  });
  doc.moveDown(1.5);
  const kinds = s.rotationsCompleted;
  barChart(doc, "Rotations completed in the period, by kind", [
    { label: "scheduled", parts: [{ value: kinds.scheduled, color: ACCENT }] },
    { label: "manual", parts: [{ value: kinds.manual, color: ACCENT }] },
    { label: "emergency", parts: [{ value: kinds.emergency, color: BAD }] },
  ]);
  barChart(
    doc,
    "Keys in use at the period's end, by age (within policy / past max age)",
    s.ageBuckets.map((b) => ({ label: b.label, parts: [{ value: b.compliant, color: OK }, { value: b.overdue, color: BAD }] })),
  );

  // The controls auditors test, mapped to this report's evidence.
  doc.addPage();
  heading(doc, "Controls");
  doc.font(FONT).fontSize(9).fillColor(MUTED).text("What each control asks (paraphrased) and where this report shows it is met.", { width });
  doc.moveDown(0.5);
  smallTable(doc, ["Framework", "Control", "What it asks", "Evidence in this report"], [70, 40, 150, "*"], controlLines(ctx));

  // Exceptions, then keys: read again from the database, stopping at the table limit.
  doc.addPage();
  heading(doc, "Exceptions");
  doc.font(FONT).fontSize(9).fillColor(MUTED).text("Every key that was past its policy's max age (at the period's end, or when it stopped working) and every rotation that was overdue, with the reason recorded.", { width });
  doc.moveDown(0.5);
  const exceptions: string[][] = [];
  let moreExceptions = 0;
  const keys: KeyReportRow[] = [];
  let moreKeys = 0;
  for await (const batch of streamKeyRows(ctx.scope)) {
    for (const k of batch) {
      for (const line of exceptionLines(k)) {
        if (exceptions.length < PDF_TABLE_ROWS) exceptions.push(line);
        else moreExceptions++;
      }
      if (keys.length < PDF_TABLE_ROWS) keys.push(k);
      else moreKeys++;
    }
  }
  if (exceptions.length === 0) {
    doc.font(FONT_BOLD).fontSize(11).fillColor(OK).text("None: every key was within policy and every rotation on time.");
  } else {
    smallTable(doc, ["Type", "Organization", "Key", "What", "Reason recorded"], [70, 90, 95, "*", 110], exceptions.map((e) => [e[0], e[1], e[2], e[4], e[5] || "-"]));
    if (moreExceptions) doc.moveDown(0.5).font(FONT).fontSize(9).fillColor(MUTED).text(`... and ${moreExceptions} more in the CSV.`);
  }
  const policyLines = policyExceptionLines(ctx.summary);
  if (policyLines.length) {
    doc.moveDown(1).font(FONT_BOLD).fontSize(11).fillColor(INK).text("Policies outside the usual bounds", 50, doc.y, { width });
    doc.moveDown(0.3);
    smallTable(doc, ["Policy", "Outside the usual bounds", "Reason recorded"], [110, 190, "*"], policyLines);
  }

  doc.addPage();
  heading(doc, "Keys");
  doc.font(FONT).fontSize(9).fillColor(MUTED).text("Each key in scope with its rotations in the period (kind, started, deadline, completed, whether the old key was still used after the deadline).", { width });
  doc.moveDown(0.5);
  smallTable(
    doc,
    ["Organization", "Key", "Created", "Age (d)", "Max (d)", "Compliant", "Rotations in the period"],
    [76, 86, 52, 38, 36, 58, "*"],
    keys.map((k) => [
      k.organization,
      k.prefix,
      day(k.createdAt),
      String(k.ageDaysAtEnd),
      String(k.policyMaxAgeDays),
      k.compliant ? "yes" : "NO",
      k.rotations.length
        ? k.rotations
            .map((r) => `${r.kind}, ${r.state}; start ${day(r.startedAt)}, deadline ${day(r.deadline)}${r.completedAt ? `, done ${day(r.completedAt)}` : ""}${r.oldKeyUsedAfterDeadline ? "; old key used after deadline" : ""}`)
            .join("\n")
        : "-",
    ]),
  );
  if (moreKeys) doc.moveDown(0.5).font(FONT).fontSize(9).fillColor(MUTED).text(`... and ${moreKeys} more keys in the CSV.`);

  // Footer on every page.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.page.margins.bottom = 0; // the footer sits in the margin: without this pdfkit would start a new page for it
    doc.font(FONT).fontSize(8).fillColor(MUTED).text(`rekey compliance report  |  ${ctx.scope.label}  |  page ${i + 1} of ${range.count}`, 50, doc.page.height - 35, { width, align: "center", lineBreak: false });
  }
  doc.end();
  return done;
}

function heading(doc: PDFKit.PDFDocument, text: string) {
  doc.font(FONT_BOLD).fontSize(18).fillColor(INK).text(text, 50, doc.y);
  doc.moveDown(0.5);
}

function smallTable(doc: PDFKit.PDFDocument, header: string[], widths: (number | string)[], rows: string[][]) {
  doc.font(FONT).fontSize(7.5).fillColor(INK);
  doc.table({
    columnStyles: widths,
    defaultStyle: { border: { bottom: 0.5 }, borderColor: LINE, padding: [3, 4, 3, 4] as never },
    rowStyles: (i) => (i === 0 ? { backgroundColor: "#eef1f6", font: { src: FONT_BOLD } } : {}) as never,
    data: [header, ...rows],
  });
}

/** A horizontal bar chart drawn with vector shapes; each bar may stack parts. The numbers are printed beside the bars. */
function barChart(doc: PDFKit.PDFDocument, title: string, bars: { label: string; parts: { value: number; color: string }[] }[]) {
  const x = 50;
  const labelWidth = 80;
  const barArea = doc.page.width - 100 - labelWidth - 60;
  const rowHeight = 16;
  if (doc.y + 30 + bars.length * rowHeight > doc.page.height - 70) doc.addPage();
  doc.font(FONT_BOLD).fontSize(11).fillColor(INK).text(title, x, doc.y);
  let y = doc.y + 6;
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((n, p) => n + p.value, 0)));
  for (const bar of bars) {
    doc.font(FONT).fontSize(9).fillColor(MUTED).text(bar.label, x, y + 3, { width: labelWidth - 6, align: "right", lineBreak: false });
    let bx = x + labelWidth;
    for (const part of bar.parts) {
      const w = (part.value / max) * barArea;
      if (w > 0) doc.rect(bx, y + 2, w, rowHeight - 5).fill(part.color);
      bx += w;
    }
    doc.font(FONT).fontSize(9).fillColor(INK).text(bar.parts.map((p) => String(p.value)).join(" / "), bx + 6, y + 3, { lineBreak: false });
    y += rowHeight;
  }
  doc.x = x;
  doc.y = y + 14;
}
