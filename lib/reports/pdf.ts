import "server-only";
import path from "node:path";
import PDFDocument from "pdfkit";
import { formatUtcMinute } from "../time";
import { chainVerdict, controlLines, exceptionLines, policyExceptionLines, summaryFigures, type ReportContext } from "./files";
import { streamKeyRows, type KeyReportRow } from "./compliance";
import { env } from "../env";

// Fonts embedded in the file (DejaVu, from the dejavu-fonts-ttf package), not PDF's standard 14 that a reader
// substitutes: what an archival PDF (PDF/A) requires, and the same glyphs on every machine.
const FONT_DIR = path.resolve(/*turbopackIgnore: true*/ env("REKEY_ROOT") ?? process.cwd(), "node_modules", "dejavu-fonts-ttf", "ttf");
const FONT = "Body";
const FONT_BOLD = "Body-Bold";
const FONT_MONO = "Mono";

/** At most this many rows of each table go into the PDF; the CSV has them all. */
export const PDF_TABLE_ROWS = 400;
/**
 * At most this many rotations in a key's cell: a row taller than a page is cut by pdfkit (clamped, the rest of its
 * text dropped), so a key with many rotations in the period says how many more the CSV has instead.
 */
const PDF_ROTATIONS_PER_KEY = 12;

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

type Struct = PDFKit.PDFStructureElement;

/**
 * The compliance report as a PDF document (pdfkit, drawn, not a screenshot):
 * a title page with the evidence digests, the summary with charts, the
 * exceptions and the keys. Tables stop at PDF_TABLE_ROWS rows and say so.
 *
 * Tagged for accessibility (a StructTreeRoot, MarkInfo /Marked true): every
 * heading (H1, H2), paragraph (P), table (Table, TR, TH with column scope, TD)
 * and chart (Figure, with alternative text) is a structure element in reading
 * order; decoration and the page footers are artifacts. Cells wrap (long
 * names break inside a word when they must), so no text is cut.
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
    tagged: true,
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
  const root = doc.struct("Document");
  doc.addStructure(root);
  const section = () => {
    const sect = doc.struct("Sect");
    root.add(sect);
    return sect;
  };
  /** Draws as the content of a new structure element of `type` under `parent`, in reading order. */
  const tag = (parent: Struct, type: string, draw: () => void, options: { alt?: string } = {}) => parent.add(doc.struct(type, options, [draw]));

  // Title page.
  const title = section();
  artifact(doc, () => doc.rect(0, 0, doc.page.width, 8).fill(ACCENT));
  tag(title, "P", () => doc.fillColor(ACCENT).font(FONT_BOLD).fontSize(12).text("rekey", 50, 70));
  tag(title, "H1", () => doc.moveDown(4).fillColor(INK).fontSize(30).text("Compliance report"));
  tag(title, "P", () => doc.moveDown(0.3).fontSize(15).font(FONT).fillColor(MUTED).text(ctx.scope.label));
  doc.moveDown(1.5).fontSize(11).fillColor(INK);
  const facts: [string, string][] = [
    ["Organization", ctx.organizationName ?? "All organizations"],
    ["Environment", ctx.scope.environment ?? "live and test"],
    ["Period (UTC)", `${utc(ctx.scope.from)} to ${utc(ctx.scope.periodTo ?? ctx.scope.to)} (end excluded)`],
    ...(ctx.scope.asOf ? [["As of", `${utc(ctx.scope.asOf)} UTC: the period had not ended; every figure is as of this instant`] as [string, string]] : []),
    ["Generated", `${utc(meta.generatedAt)} UTC by ${meta.generatedBy}`],
  ];
  for (const [k, v] of facts) tag(title, "P", () => doc.font(FONT_BOLD).fillColor(INK).text(`${k}: `, { continued: true }).font(FONT).text(v, { width }));
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
  tag(title, "P", () =>
    doc
      .moveDown(2)
      .font(FONT_BOLD)
      .fontSize(14)
      .fillColor(s.exceptions.total ? BAD : OK)
      .text(headline, { width }),
  );
  tag(title, "P", () =>
    doc
      .moveDown(0.4)
      .font(FONT)
      .fontSize(11)
      .fillColor(INK)
      .text(`${s.exceptions.total} exception(s): ${s.exceptions.keys} non-compliant key(s), ${s.exceptions.rotations} overdue rotation(s).`, { width }),
  );

  // Evidence box: its frame is decoration; what it says, a section of its own.
  const evidence = doc.struct("Sect");
  title.add(evidence);
  const boxY = doc.y + 30;
  const inner = { width: width - 28 };
  artifact(doc, () => doc.roundedRect(50, boxY, width, 215, 6).lineWidth(1).strokeColor(LINE).stroke());
  tag(evidence, "H2", () =>
    doc
      .fillColor(INK)
      .font(FONT_BOLD)
      .fontSize(11)
      .text("Evidence", 64, boxY + 14),
  );
  tag(evidence, "P", () =>
    doc
      .font(FONT)
      .fontSize(9)
      .fillColor(MUTED)
      .text("This report's figures come from its CSV, which rekey gives at this path, the same bytes at every download:", 64, boxY + 34, inner),
  );
  tag(evidence, "Code", () => doc.font(FONT_MONO).fontSize(8).fillColor(INK).text(meta.evidencePath, inner));
  tag(evidence, "P", () => doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.4).text("Its SHA-256 (download it and compare):", inner));
  tag(evidence, "Code", () => doc.font(FONT_MONO).fontSize(9).fillColor(INK).text(meta.evidenceSha256, inner));
  tag(evidence, "P", () => doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.6).text("Audit trail over the period (verifyAuditChain):", inner));
  tag(evidence, "P", () =>
    doc
      .font(FONT_BOLD)
      .fontSize(9)
      .fillColor(ctx.chain.ok ? OK : BAD)
      .text(chainVerdict(ctx.chain), inner),
  );
  if (ctx.chain.resumedFrom) {
    const from = ctx.chain.resumedFrom;
    tag(evidence, "P", () =>
      doc
        .font(FONT)
        .fontSize(8)
        .fillColor(MUTED)
        .text(
          `Events up to ${from.seq} were recomputed from the first event of the chain on ${utc(from.verifiedAt)} UTC (a signed checkpoint verified in full); the rest now.`,
          inner,
        ),
    );
  }
  tag(evidence, "P", () => doc.font(FONT).fontSize(9).fillColor(MUTED).moveDown(0.4).text("Chain head (hash of the last event in the period):", inner));
  tag(evidence, "Code", () =>
    doc
      .font(FONT_MONO)
      .fontSize(9)
      .fillColor(INK)
      .text(ctx.chain.headHash || "-", inner),
  );
  if (ctx.checkpoint) {
    const c = ctx.checkpoint;
    tag(evidence, "P", () =>
      doc
        .font(FONT)
        .fontSize(9)
        .fillColor(MUTED)
        .moveDown(0.4)
        .text(`Signed checkpoint of that head (event ${c.statement.seq}, ${c.statement.at}; Ed25519, key ${c.keyId}):`, inner),
    );
    tag(evidence, "Code", () => doc.font(FONT_MONO).fontSize(8).fillColor(INK).text(c.signature, inner));
  }
  tag(evidence, "P", () =>
    doc
      .font(FONT)
      .fontSize(8)
      .fillColor(MUTED)
      .text(
        "Each download of this report is itself an audit event holding the file's SHA-256: match it later against the system's record. The checkpoint's public key is published at /.well-known/rekey-checkpoint-keys.json; check it with npm run audit:verify -- FILE --checkpoint CHECKPOINT.",
        50,
        boxY + 230,
        { width },
      ),
  );

  // Summary and charts.
  doc.addPage();
  const summary = section();
  heading(doc, summary, "Summary");
  doc.font(FONT).fontSize(10).fillColor(INK);
  doc.table({
    structParent: summary,
    columnStyles: ["*", 110],
    defaultStyle: { border: { bottom: 0.5 }, borderColor: LINE, padding: [5, 6, 5, 6] as never },
    rowStyles: (i) => (i === 0 ? HEADER_ROW : {}) as never,
    data: [["Figure", "Value"], ...summaryFigures(s).map(([k, v]) => [k, { text: v || "n/a", align: { x: "right" as const } }])],
  } as PDFKit.Mixins.TableOptionsWithData);
  doc.moveDown(1.5);
  const kinds = s.rotationsCompleted;
  barChart(doc, summary, "Rotations completed in the period, by kind", [
    { label: "scheduled", parts: [{ value: kinds.scheduled, color: ACCENT }] },
    { label: "manual", parts: [{ value: kinds.manual, color: ACCENT }] },
    { label: "emergency", parts: [{ value: kinds.emergency, color: BAD }] },
  ]);
  barChart(
    doc,
    summary,
    "Keys in use at the period's end, by age (within policy / past max age)",
    s.ageBuckets.map((b) => ({
      label: b.label,
      parts: [
        { value: b.compliant, color: OK },
        { value: b.overdue, color: BAD },
      ],
    })),
  );

  // The controls auditors test, mapped to this report's evidence.
  doc.addPage();
  const controls = section();
  heading(doc, controls, "Controls");
  tag(controls, "P", () =>
    doc.font(FONT).fontSize(9).fillColor(MUTED).text("What each control asks (paraphrased) and where this report shows it is met.", { width }),
  );
  doc.moveDown(0.5);
  smallTable(doc, controls, ["Framework", "Control", "What it asks", "Evidence in this report"], [70, 40, 150, "*"], controlLines(ctx));

  // Exceptions, then keys: read again from the database, stopping at the table limit.
  doc.addPage();
  const exceptionsSect = section();
  heading(doc, exceptionsSect, "Exceptions");
  tag(exceptionsSect, "P", () =>
    doc
      .font(FONT)
      .fontSize(9)
      .fillColor(MUTED)
      .text(
        "Every key that was past its policy's max age (at the period's end, or when it stopped working) and every rotation that was overdue, with the reason recorded.",
        { width },
      ),
  );
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
    tag(exceptionsSect, "P", () =>
      doc.font(FONT_BOLD).fontSize(11).fillColor(OK).text("None: every key was within policy and every rotation on time.", { width }),
    );
  } else {
    smallTable(
      doc,
      exceptionsSect,
      ["Type", "Organization", "Key", "What", "Reason recorded"],
      [70, 90, 95, "*", 110],
      exceptions.map((e) => [e[0], e[1], e[2], e[4], e[5] || "-"]),
    );
    if (moreExceptions)
      tag(exceptionsSect, "P", () => doc.moveDown(0.5).font(FONT).fontSize(9).fillColor(MUTED).text(`... and ${moreExceptions} more in the CSV.`, { width }));
  }
  const policyLines = policyExceptionLines(ctx.summary);
  if (policyLines.length) {
    tag(exceptionsSect, "H2", () =>
      doc.moveDown(1).font(FONT_BOLD).fontSize(11).fillColor(INK).text("Policies outside the usual bounds", 50, doc.y, { width }),
    );
    doc.moveDown(0.3);
    smallTable(doc, exceptionsSect, ["Policy", "Outside the usual bounds", "Reason recorded"], [110, 190, "*"], policyLines);
  }

  doc.addPage();
  const keysSect = section();
  heading(doc, keysSect, "Keys");
  tag(keysSect, "P", () =>
    doc
      .font(FONT)
      .fontSize(9)
      .fillColor(MUTED)
      .text(
        "Each key in scope with the policy it was judged by (in force at the period's end: name, version, max age) and its rotations in the period (kind, started, deadline, completed, whether the old key was still used after the deadline).",
        { width },
      ),
  );
  doc.moveDown(0.5);
  smallTable(
    doc,
    keysSect,
    ["Organization", "Key", "Created", "Age (d)", "Policy, max age (d)", "Compliant", "Rotations in the period"],
    [68, 86, 56, 32, 66, 54, "*"],
    keys.map((k) => [
      k.organization,
      k.prefix,
      day(k.createdAt),
      String(k.ageDaysAtEnd),
      `${k.policyName}${k.policyVersion === null ? "" : ` v${k.policyVersion}`}, ${k.policyMaxAgeDays}`,
      k.compliant ? "yes" : "NO",
      rotationsCell(k),
    ]),
  );
  if (moreKeys)
    tag(keysSect, "P", () => doc.moveDown(0.5).font(FONT).fontSize(9).fillColor(MUTED).text(`... and ${moreKeys} more keys in the CSV.`, { width }));

  // Footer on every page.
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    doc.page.margins.bottom = 0; // the footer sits in the margin: without this pdfkit would start a new page for it
    const footer = `rekey compliance report  |  ${ctx.scope.label}  |  page ${i + 1} of ${range.count}`;
    artifact(
      doc,
      () =>
        doc
          .font(FONT)
          .fontSize(8)
          .fillColor(MUTED)
          .text(footer, 50, doc.page.height - 35, { width, align: "center", lineBreak: false }),
      "Pagination",
    );
  }
  doc.end();
  return done;
}

/** The header row of every table: table headers (TH) for their column, for a screen reader as for the eye. */
const HEADER_ROW = { backgroundColor: "#eef1f6", font: { src: FONT_BOLD }, type: "TH", scope: "column" };

/** Decoration (rules, frames) and page furniture (footers): an artifact, which assistive technology skips. */
function artifact(doc: PDFKit.PDFDocument, draw: () => void, type: "Layout" | "Pagination" = "Layout") {
  doc.markContent("Artifact", { type });
  draw();
  doc.endMarkedContent();
}

function heading(doc: PDFKit.PDFDocument, parent: Struct, text: string) {
  parent.add(doc.struct("H1", {}, [() => doc.font(FONT_BOLD).fontSize(18).fillColor(INK).text(text, 50, doc.y)]));
  doc.moveDown(0.5);
}

function smallTable(doc: PDFKit.PDFDocument, parent: Struct, header: string[], widths: (number | string)[], rows: string[][]) {
  doc.font(FONT).fontSize(7.5).fillColor(INK);
  doc.table({
    structParent: parent,
    columnStyles: widths,
    defaultStyle: { border: { bottom: 0.5 }, borderColor: LINE, padding: [3, 4, 3, 4] as never },
    rowStyles: (i) => (i === 0 ? HEADER_ROW : {}) as never,
    data: [header, ...rows],
  } as PDFKit.Mixins.TableOptionsWithData);
}

/** A key's rotations in the period, one a line, at most PDF_ROTATIONS_PER_KEY (a row must fit on a page). */
function rotationsCell(k: KeyReportRow): string {
  if (k.rotations.length === 0) return "-";
  const lines = k.rotations
    .slice(0, PDF_ROTATIONS_PER_KEY)
    .map(
      (r) =>
        `${r.kind}, ${r.state}; start ${day(r.startedAt)}, deadline ${day(r.deadline)}${r.completedAt ? `, done ${day(r.completedAt)}` : ""}${r.oldKeyUsedAfterDeadline ? "; old key used after deadline" : ""}`,
    );
  const more = k.rotations.length - PDF_ROTATIONS_PER_KEY;
  return more > 0 ? [...lines, `... and ${more} more in the CSV`].join("\n") : lines.join("\n");
}

/**
 * A horizontal bar chart drawn with vector shapes; each bar may stack parts. The numbers are printed beside the bars.
 * Tagged as a figure whose alternative text gives every bar's values, so nothing is left to the picture.
 */
function barChart(doc: PDFKit.PDFDocument, parent: Struct, title: string, bars: { label: string; parts: { value: number; color: string }[] }[]) {
  const x = 50;
  const labelWidth = 80;
  const barArea = doc.page.width - 100 - labelWidth - 60;
  const rowHeight = 16;
  if (doc.y + 30 + bars.length * rowHeight > doc.page.height - 70) doc.addPage();
  parent.add(doc.struct("H2", {}, [() => doc.font(FONT_BOLD).fontSize(11).fillColor(INK).text(title, x, doc.y)]));
  let y = doc.y + 6;
  const max = Math.max(1, ...bars.map((b) => b.parts.reduce((n, p) => n + p.value, 0)));
  const alt = `${title}: ${bars.map((b) => `${b.label}: ${b.parts.map((p) => String(p.value)).join(" / ")}`).join("; ")}.`;
  parent.add(
    doc.struct("Figure", { alt }, [
      () => {
        for (const bar of bars) {
          doc
            .font(FONT)
            .fontSize(9)
            .fillColor(MUTED)
            .text(bar.label, x, y + 3, { width: labelWidth - 6, align: "right", lineBreak: false });
          let bx = x + labelWidth;
          for (const part of bar.parts) {
            const w = (part.value / max) * barArea;
            if (w > 0) doc.rect(bx, y + 2, w, rowHeight - 5).fill(part.color);
            bx += w;
          }
          doc
            .font(FONT)
            .fontSize(9)
            .fillColor(INK)
            .text(bar.parts.map((p) => String(p.value)).join(" / "), bx + 6, y + 3, { lineBreak: false });
          y += rowHeight;
        }
      },
    ]),
  );
  doc.x = x;
  doc.y = y + 14;
}
