import { beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { simpleParser } from "mailparser";
import { tmpdir } from "node:os";
import path from "node:path";
import { useTestDatabase, testPrisma } from "./support/database";
import { ADMIN } from "./support/fixtures";
import type { Viewer } from "../lib/auth/viewer";
import { createOrganization } from "../lib/organizations/mutations";
import { issueKey, revokeKey } from "../lib/keys/mutations";
import { createRotation, postponeRotation, scheduleRotation } from "../lib/rotations/mutations";
import { advanceRotations } from "../lib/rotations/advance";
import { verifyKey } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { getComplianceSummary, streamKeyRows, type KeyReportRow } from "../lib/reports/compliance";
import { reportQuerySchema, resolvePeriod, type ReportScope } from "../lib/reports/period";
import { auditCsvChunks, auditJsonlChunks, complianceCsvChunks, loadReportContext } from "../lib/reports/files";
import { verifyExportFile } from "../lib/audit/offline";
import { sendMonthlyReport } from "../lib/reports/monthly";
import { deliverOutbox } from "../lib/notifications/deliver";
import { fileMailer } from "../lib/notifications/mailer";
import { createUsers } from "../lib/auth/users";
import { assignPolicy, createPolicy } from "../lib/policies/mutations";
import { compliancePdf } from "../lib/reports/pdf";

let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
const { GET: download } = await import("../app/(staff)/dashboard/reports/download/[file]/route");

useTestDatabase();

// A small world whose figures are worked out by hand below. Policy: DOMAIN.md's defaults (max age 90 days, grace 72 h).
// Period: Q3 2026 = [2026-07-01, 2026-10-01).
const d = (s: string) => new Date(s.length === 10 ? `${s}T00:00:00.000Z` : s);
const Q3 = {
  from: d("2026-07-01"),
  to: d("2026-10-01"),
  organizationId: null as string | null,
  environment: null as "live" | "test" | null,
  label: "Q3 2026",
  preset: "custom" as const,
};
const NOW = d("2026-11-01");
let orgId = "";
const prefixes: Record<string, string> = {};

async function key(name: string, at: string, environment: "live" | "test" = "live") {
  const { key: k, secret } = await issueKey({ organizationId: orgId, environment, name, scopes: ["read:orders"] }, { actor: ADMIN, now: d(at) });
  prefixes[name] = k.prefix;
  return { ...k, secret };
}

beforeAll(async () => {
  orgId = (await createOrganization({ name: "Audited Ltd", contactEmails: ["sec@audited.example"] }, { actor: ADMIN, now: d("2025-12-01") })).id;
  const k7 = await key("K7", "2026-01-01");
  const k4 = await key("K4", "2026-03-01");
  const k3 = await key("K3", "2026-04-15");
  await revokeKey({ keyId: k7.id, reason: "retired before the period" }, { actor: ADMIN, now: d("2026-05-01") });
  const k5 = await key("K5", "2026-05-20", "test");
  await key("K1", "2026-06-01");
  // K3: rotated by hand on 10 July; its old key is last used 36 hours later; the rotation completes on 13 July.
  await createRotation({ keyId: k3.id, kind: "manual", deliver: "response", reason: "quarterly hygiene" }, { actor: ADMIN, now: d("2026-07-10") });
  await verifyKey(k3.secret, d("2026-07-11T12:00:00Z"));
  await flushUsage();
  await advanceRotations(d("2026-07-13"));
  // K5: scheduled for 10 August, postponed once by the customer to 9 September (grace to the 12th).
  const planned = await scheduleRotation({ keyId: k5.id, scheduledAt: d("2026-08-10"), reason: "policy" }, { actor: ADMIN, now: d("2026-07-20") });
  await postponeRotation({ rotationId: planned.rotation.id, reason: "release freeze" }, { actor: "user:customer", now: d("2026-07-25") });
  await key("K2", "2026-08-01");
  // K4: leaked; emergency rotation revoking it at once; tried again five days later.
  await createRotation(
    { keyId: k4.id, kind: "emergency", gracePeriodHours: 0, deliver: "response", reason: "leaked in a build log" },
    { actor: ADMIN, now: d("2026-08-15") },
  );
  await verifyKey(k4.secret, d("2026-08-20T10:00:00Z"));
  await advanceRotations(d("2026-09-09"));
  await verifyKey(k5.secret, d("2026-09-10T06:00:00Z"));
  await flushUsage();
  await advanceRotations(d("2026-09-12"));
  await key("K6", "2026-10-05");
});

const scope = (over: Partial<ReportScope> = {}): ReportScope => ({ ...Q3, organizationId: orgId, ...over });

async function allRows(s: ReportScope): Promise<KeyReportRow[]> {
  const rows: KeyReportRow[] = [];
  for await (const batch of streamKeyRows(s)) rows.push(...batch);
  return rows;
}

describe("the compliance report of a small world, figures worked out by hand", () => {
  it("summary over all environments", async () => {
    const s = await getComplianceSummary(scope());
    expect(s).toMatchObject({
      keysInScope: 7, // K1, K2, K3 and its successor, K4 and its successor, K5; not K6 (after) nor K7 (before)
      keysInUseAtEnd: 4, // K1, K2, K3's successor, K4's successor
      compliantAtEnd: 3, // K1 is 122 days old
      rotationsCompleted: { scheduled: 1, manual: 1, emergency: 1 },
      medianAgeDays: 72, // ages 47, 61, 83, 122
      maxAgeDays: 122,
      medianHoursToLastUse: 30, // K3: 36 h, K4: never used after the start (0), K5: 30 h
      postponements: 1,
      exceptions: { keys: 3, rotations: 2, total: 5 },
    });
    expect(s.complianceAtEnd).toBe(0.75);
    // Key-days in use 413 (92+61+12+83+45+47+73), of them compliant 311 (60+61+12+83+0+47+48).
    expect(s.complianceOverPeriod).toBeCloseTo(311 / 413, 6);
  });

  it("summary for the live environment only", async () => {
    const s = await getComplianceSummary(scope({ environment: "live" }));
    expect(s).toMatchObject({
      keysInScope: 6,
      keysInUseAtEnd: 4,
      compliantAtEnd: 3,
      rotationsCompleted: { scheduled: 0, manual: 1, emergency: 1 },
      postponements: 0,
      exceptions: { keys: 2, rotations: 1, total: 3 },
    });
    expect(s.complianceOverPeriod).toBeCloseTo((311 - 48) / (413 - 73), 6);
  });

  it("per key: age at the end, compliance, rotations with who, deadline and use after it, and exceptions with their reason", async () => {
    const rows = await allRows(scope());
    const byPrefix = new Map(rows.map((r) => [r.prefix, r]));
    expect(rows).toHaveLength(7);
    const k1 = byPrefix.get(prefixes.K1)!;
    expect(k1).toMatchObject({ ageDaysAtEnd: 122, policyMaxAgeDays: 90, compliant: false, exception: "never rotated", rotations: [] });
    const k3 = byPrefix.get(prefixes.K3)!;
    expect(k3).toMatchObject({ compliant: true, ageDaysAtEnd: 89, retiredAt: d("2026-07-13"), lastRotatedAt: d("2026-07-10") });
    expect(k3.rotations).toEqual([
      expect.objectContaining({
        kind: "manual",
        state: "completed",
        reason: "quarterly hygiene",
        by: ADMIN,
        startedAt: d("2026-07-10"),
        deadline: d("2026-07-13"),
        completedAt: d("2026-07-13"),
        oldKeyUsedAfterDeadline: false,
        overdue: null,
      }),
    ]);
    const k4 = byPrefix.get(prefixes.K4)!;
    expect(k4).toMatchObject({ compliant: false, exception: "rotated after its max age", recordedReason: "leaked in a build log" });
    expect(k4.rotations[0]).toMatchObject({ kind: "emergency", oldKeyUsedAfterDeadline: true, overdue: "completed after the key passed its max age" });
    const k5 = byPrefix.get(prefixes.K5)!;
    expect(k5).toMatchObject({ compliant: false, exception: "postponed 1 time(s)", ageDaysAtEnd: 115 });
    expect(k5.rotations[0]).toMatchObject({
      kind: "scheduled",
      postponements: 1,
      overdue: "completed after the key passed its max age (postponed 1 time(s))",
      oldKeyUsedAfterDeadline: false,
    });
  });

  it("the CSV carries the same figures, rows and exceptions, and the audit chain's verdict", async () => {
    const ctx = await loadReportContext(scope());
    let text = "";
    for await (const chunk of complianceCsvChunks(ctx)) text += chunk;
    const sections = text.split("\n\n");
    expect(sections[0]).toMatch(
      /^rekey compliance report\nperiod,Q3 2026,2026-07-01T00:00:00.000Z,2026-10-01T00:00:00.000Z\norganization,Audited Ltd\nenvironment,all\naudit chain,intact: events/,
    );
    expect(sections[1]).toContain("Compliance at the period's end (%),75.0");
    expect(sections[1]).toContain("Time-weighted compliance over the period (%),75.3");
    expect(sections[1]).toContain("Exceptions: overdue rotations,2");
    const keyLines = sections[2].trim().split("\n");
    expect(keyLines[0]).toBe("Keys");
    expect(keyLines).toHaveLength(2 + 7); // title, header, one line per key (each has at most one rotation here)
    const exceptions = sections[3].trim().split("\n");
    expect(exceptions.slice(0, 2)).toEqual(["Exceptions", "type,organization,key,rotation,what,reason recorded"]);
    expect(exceptions).toHaveLength(2 + 5);
    expect(
      exceptions
        .filter((l) => l.startsWith("non-compliant key"))
        .map((l) => l.split(",")[4])
        .sort(),
    ).toEqual(["never rotated", "postponed 1 time(s)", "rotated after its max age"]);
  });
});

describe("the audit log export", () => {
  it("exports the period as JSON Lines and CSV that the offline check accepts, and an edited event makes both the check and the report say so", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rekey-audit-"));
    const whole = scope({ from: d("2025-01-01"), to: d("2027-01-01"), organizationId: null });
    let jsonl = "";
    for await (const c of auditJsonlChunks(whole)) jsonl += c;
    let csvText = "";
    for await (const c of auditCsvChunks(whole)) csvText += c;
    writeFileSync(path.join(dir, "audit.jsonl"), jsonl);
    writeFileSync(path.join(dir, "audit.csv"), csvText);
    const fromJsonl = await verifyExportFile(path.join(dir, "audit.jsonl"));
    const fromCsv = await verifyExportFile(path.join(dir, "audit.csv"));
    expect(fromJsonl).toMatchObject({ ok: true, firstSeq: "1", startsFrom: "0".repeat(64) });
    expect(fromJsonl.checked).toBeGreaterThan(15);
    expect(fromCsv).toEqual(fromJsonl);

    // An event edited in the file, or one removed, is found offline.
    const lines = jsonl.trim().split("\n");
    const edited = JSON.parse(lines[5]);
    edited.reason = "nothing to see here";
    writeFileSync(path.join(dir, "edited.jsonl"), [...lines.slice(0, 5), JSON.stringify(edited), ...lines.slice(6)].join("\n"));
    expect(await verifyExportFile(path.join(dir, "edited.jsonl"))).toMatchObject({
      ok: false,
      broken: { seq: edited.seq, reason: "this event was edited after it was written" },
    });
    writeFileSync(path.join(dir, "gap.jsonl"), [...lines.slice(0, 5), ...lines.slice(6)].join("\n"));
    expect((await verifyExportFile(path.join(dir, "gap.jsonl"))).ok).toBe(false);

    // The documented command an auditor runs: exit 0 and the head when intact, 1 when not.
    const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts", ...args], { encoding: "utf8" });
    const intact = cli(path.join(dir, "audit.csv"), "--head", fromJsonl.headHash!);
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toContain(`Intact: ${fromJsonl.checked} event(s)`);
    expect(intact.stdout).toContain("The head matches the one you gave.");
    const broken = cli(path.join(dir, "edited.jsonl"));
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain(`BROKEN: event ${edited.seq}`);
    expect(cli(path.join(dir, "audit.jsonl"), "--head", "f".repeat(64)).status).toBe(1);

    // An event edited in the database (a superuser with the trigger off): the report says the chain is broken.
    const prisma = await testPrisma();
    const target = await prisma.auditEvent.findFirstOrThrow({ where: { action: "rotation.postponed" } });
    await prisma.$executeRawUnsafe(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    await prisma.$executeRawUnsafe(`UPDATE audit_events SET reason = 'no freeze at all' WHERE seq = ${target.seq}`);
    await prisma.$executeRawUnsafe(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    const ctx = await loadReportContext(scope());
    expect(ctx.chain).toMatchObject({ ok: false, broken: { seq: String(target.seq), reason: "this event was edited after it was written" } });
    let text = "";
    for await (const chunk of complianceCsvChunks(ctx)) text += chunk;
    expect(text).toContain(`audit chain,BROKEN at event ${target.seq}: this event was edited after it was written`);
  });
});

describe("who may download (docs/reports.md: admins and auditors)", () => {
  const as = (role: Viewer["role"]): Viewer => ({
    userId: `${role}-1`,
    email: `${role}@example.com`,
    role,
    orgId: role === "customer" ? orgId : null,
    signedInAt: new Date(),
    sessionId: "00000000-0000-4000-8000-000000000000",
  });
  const get = (file: string, query = "period=custom&from=2026-07-01&to=2026-09-30") =>
    download(new Request(`http://localhost/dashboard/reports/download/${file}?${query}`), { params: Promise.resolve({ file }) });

  it("refuses visitors, customers and operators, and records nothing", async () => {
    const prisma = await testPrisma();
    const before = await prisma.auditEvent.count({ where: { action: "report.downloaded" } });
    for (const [who, status] of [
      [null, 401],
      [as("customer"), 403],
      [as("operator"), 403],
    ] as const) {
      viewer = who;
      for (const file of ["audit-log.csv", "audit-log.jsonl", "compliance.csv", "compliance.pdf"])
        expect((await get(file)).status, `${who?.role} ${file}`).toBe(status);
    }
    expect(await prisma.auditEvent.count({ where: { action: "report.downloaded" } })).toBe(before);
  });

  it("refuses a bad period or an unknown file with a clear message", async () => {
    viewer = as("auditor");
    const bad = await get("compliance.csv", "period=custom&from=2026-09-30&to=2026-07-01");
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ field: "to", message: expect.stringMatching(/must not be before the first day/) });
    expect((await get("secrets.txt")).status).toBe(404);
  });

  it("lets an auditor download; the download is audited with the file's SHA-256", async () => {
    viewer = as("auditor");
    const res = await get(`compliance.csv`, `period=custom&from=2026-07-01&to=2026-09-30&org=${orgId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename="rekey-compliance-2026-07-01-to-2026-09-30.csv"/);
    const body = Buffer.from(await res.arrayBuffer());
    const { createHash } = await import("node:crypto");
    const prisma = await testPrisma();
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "report.downloaded" }, orderBy: { seq: "desc" } });
    expect(event).toMatchObject({ actor: "user:auditor-1", organizationId: orgId });
    expect(event.after).toMatchObject({ file: "compliance.csv", sha256: createHash("sha256").update(body).digest("hex"), bytes: body.length });

    const pdf = await get(`compliance.pdf`, `period=custom&from=2026-07-01&to=2026-09-30&org=${orgId}`);
    expect(pdf.status).toBe(200);
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    const pdfEvent = await prisma.auditEvent.findFirstOrThrow({ where: { action: "report.downloaded" }, orderBy: { seq: "desc" } });
    // The PDF quotes the CSV's digest: the same period and scope give the same CSV bytes.
    expect(pdfEvent.after).toMatchObject({
      file: "compliance.pdf",
      sha256: createHash("sha256").update(bytes).digest("hex"),
      evidenceSha256: createHash("sha256").update(body).digest("hex"),
    });
    if (process.env.REKEY_REPORT_PDF_OUT) writeFileSync(process.env.REKEY_REPORT_PDF_OUT, bytes);
  });
});

describe("the monthly report email", () => {
  it("tells every active admin and auditor once a month, with a link to last month's report", async () => {
    const prisma = await testPrisma();
    await createUsers(
      [
        { email: "lead@rekey.example", role: "admin", name: "Lead", password: "a-long-password-123" },
        { email: "audit@firm.example", role: "auditor", name: "Auditor", password: "a-long-password-123" },
        { email: "ops@rekey.example", role: "operator", name: "Operator", password: "a-long-password-123" },
      ],
      { actor: ADMIN, now: d("2026-11-01") },
    );
    const first = d("2026-12-01T00:01:00Z");
    expect(await sendMonthlyReport(first)).toBe(2);
    expect(await sendMonthlyReport(d("2026-12-01T00:02:00Z"))).toBe(0); // the next call, the same month: nothing new
    const mails = await prisma.notification.findMany({ where: { kind: "monthly_report" }, orderBy: { recipient: "asc" } });
    expect(mails.map((m) => m.recipient)).toEqual(["audit@firm.example", "lead@rekey.example"]);

    const folder = mkdtempSync(path.join(tmpdir(), "rekey-mail-"));
    await deliverOutbox(first, { mailer: fileMailer(folder) });
    const sent = await prisma.notification.findFirstOrThrow({ where: { kind: "monthly_report", recipient: "audit@firm.example" } });
    expect(sent).toMatchObject({ status: "sent", subject: "rekey compliance report: November 2026 (1 Nov 2026 – 30 Nov 2026)" });
    const parsed = await Promise.all(readdirSync(folder).map((f) => simpleParser(readFileSync(path.join(folder, f)))));
    const mail = parsed.find((m) => JSON.stringify(m.to).includes("audit@firm.example"))!;
    expect(mail.text).toMatch(/Open it: http\S+\/dashboard\/reports\?period=custom&from=2026-11-01&to=2026-11-30/);
    // A signed checkpoint of the chain at the month's end travels in the email, a copy outside rekey that checks out.
    const json = /^\{"statement".*\}$/m.exec(mail.text ?? "")?.[0];
    const { checkpointProblem } = await import("../lib/audit/checkpoint");
    const checkpoint = JSON.parse(json!);
    expect(checkpointProblem(checkpoint)).toBeNull();
    const monthEnd = await prisma.auditEvent.findFirstOrThrow({ where: { at: { lt: d("2026-12-01") } }, orderBy: { seq: "desc" } });
    expect(checkpoint.statement).toMatchObject({ seq: String(monthEnd.seq), hash: monthEnd.hash });
    expect(await sendMonthlyReport(d("2027-01-01T00:01:00Z"))).toBe(2); // next month
  });
});

describe("periods", () => {
  it("names calendar months and quarters in UTC, and the last day of a custom period is included", () => {
    const at = d("2026-11-22T10:00:00Z");
    const q = (p: Record<string, string>) => resolvePeriod(reportQuerySchema.parse(p), at);
    expect(q({ period: "last-quarter" })).toMatchObject({ from: d("2026-07-01"), to: d("2026-10-01"), label: "Q3 2026 (1 Jul 2026 – 30 Sept 2026)" });
    expect(q({ period: "this-month" })).toMatchObject({ from: d("2026-11-01"), to: d("2026-12-01") });
    expect(q({ period: "last-month" })).toMatchObject({ from: d("2026-10-01"), to: d("2026-11-01") });
    expect(resolvePeriod(reportQuerySchema.parse({ period: "last-quarter" }), d("2026-02-10"))).toMatchObject({ from: d("2025-10-01"), to: d("2026-01-01") });
    expect(q({ period: "custom", from: "2026-07-01", to: "2026-07-31" })).toMatchObject({ from: d("2026-07-01"), to: d("2026-08-01") });
    expect(reportQuerySchema.safeParse({ period: "custom", from: "2026-02-30", to: "2026-03-01" }).success).toBe(false);
    expect(q({ period: "last-quarter", from: "", to: "", org: "", env: "" })).toMatchObject({ from: d("2026-07-01") }); // the form's empty fields
  });
});

// Issue 13, item 3: a period that has not ended is reported as of an instant named in the link, so the same link gives
// the same bytes later, whatever happened after the instant; the PDF names that link and quotes the CSV's digest.
describe("a report over a period that has not ended", () => {
  const auditor: Viewer = {
    userId: "auditor-2",
    email: "auditor2@example.com",
    role: "auditor",
    orgId: null,
    signedInAt: new Date(),
    sessionId: "00000000-0000-4000-8000-000000000000",
  };
  const fetchReport = (pathAndQuery: string) => {
    const file = pathAndQuery.split("?")[0].split("/").pop()!;
    return download(new Request(`http://localhost${pathAndQuery}`), { params: Promise.resolve({ file }) });
  };

  it("is cut at a stated instant: the same link gives the same bytes after later changes, and the PDF quotes its digest and path", async () => {
    viewer = auditor;
    const { createHash } = await import("node:crypto");
    // Without an instant, the download sends the reader to the link that names one (now, to the minute).
    const bare = await fetchReport(`/dashboard/reports/download/compliance.csv?period=this-quarter&org=${orgId}`);
    expect(bare.status).toBe(303);
    const link = bare.headers.get("location")!;
    const asOf = new URL(link, "http://localhost").searchParams.get("asOf")!;
    expect(asOf).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
    expect(link).toBe(`/dashboard/reports/download/compliance.csv?period=this-quarter&org=${orgId}&asOf=${encodeURIComponent(asOf)}`);

    const first = await fetchReport(link);
    expect(first.status).toBe(200);
    expect(first.headers.get("content-disposition")).toContain(`-as-of-${asOf.slice(0, 16).replace(":", "")}Z.csv`);
    const a = Buffer.from(await first.arrayBuffer());
    expect(a.toString()).toContain(`\nas of,${new Date(asOf).toISOString()},the period had not ended: every figure is as of this instant\n`);

    // After the instant: a new key, a revocation, a rotation started. None of it is in the report of the instant.
    const later = new Date();
    const k8 = await issueKey({ organizationId: orgId, environment: "live", name: "K8", scopes: [] }, { actor: ADMIN, now: later });
    const rows = await allRows(scope({ from: d("2026-10-01"), to: new Date(asOf) }));
    const k6 = rows.find((r) => r.prefix === prefixes.K6)!;
    await createRotation({ keyId: k6.keyId, kind: "manual", deliver: "portal", reason: "after the instant" }, { actor: ADMIN, now: later });
    const k1 = rows.find((r) => r.prefix === prefixes.K1)!;
    await revokeKey({ keyId: k1.keyId, reason: "after the instant" }, { actor: ADMIN, now: later });
    expect(k8.key.id).toBeTruthy();

    const b = Buffer.from(await (await fetchReport(link)).arrayBuffer());
    expect(createHash("sha256").update(b).digest("hex")).toBe(createHash("sha256").update(a).digest("hex"));

    // The PDF of the same link prints the CSV's digest and the path to fetch it from, and speaks in the present.
    const pdf = Buffer.from(await (await fetchReport(link.replace("compliance.csv", "compliance.pdf"))).arrayBuffer());
    const dir = mkdtempSync(path.join(tmpdir(), "rekey-open-period-"));
    writeFileSync(path.join(dir, "report.pdf"), pdf);
    if (process.env.REKEY_REPORT_PDF_OUT) writeFileSync(process.env.REKEY_REPORT_PDF_OUT.replace(/\.pdf$/, "-open.pdf"), pdf);
    // An archival document: every font embedded, PDF/A-2b declared, and a structurally clean file (qpdf; CI installs it).
    const fonts = spawnSync("pdffonts", [path.join(dir, "report.pdf")], { encoding: "utf8" })
      .stdout.trim()
      .split("\n")
      .slice(2);
    expect(fonts.length).toBeGreaterThan(0);
    for (const font of fonts) expect(font, font).toMatch(/\byes\s+yes\s+yes\b/);
    expect(pdf.toString("latin1")).toContain("<pdfaid:part>2</pdfaid:part>");
    const qpdf = spawnSync("qpdf", ["--check", path.join(dir, "report.pdf")], { encoding: "utf8" });
    if (qpdf.error && !process.env.CI) console.warn("qpdf is not installed: the PDF's structure check is left to CI");
    else expect(qpdf.status, qpdf.stdout + qpdf.stderr).toBe(0);
    const text = spawnSync("pdftotext", ["-layout", path.join(dir, "report.pdf"), "-"], { encoding: "utf8" }).stdout.replace(/\s+/g, " ");
    expect(text).toContain(createHash("sha256").update(a).digest("hex"));
    expect(text.replace(/ /g, "")).toContain(link.replace(/ /g, ""));
    expect(text).toMatch(/of keys in use are within policy as of/);
    // The controls auditors test, each mapped to this report's evidence, in the PDF and the CSV.
    for (const control of ["8.6.3", "CC6.1", "CC6.2", "CC6.3", "CC7.2", "A.5.17", "A.8.15"]) expect(text).toContain(control);
    expect(a.toString()).toMatch(
      /\nControls\nframework,control,what it asks,evidence in this report\nPCI DSS v4.0,8.6.3,.*rotations completed: \d+ scheduled and \d+ manual \(periodic\), \d+ emergency \(on compromise\)/,
    );
    expect(a.toString()).toMatch(/\nISO\/IEC 27001:2022,A.8.15,.*audit chain intact: events/);
    expect(text).not.toMatch(/were within policy at the end of the period/);
  });

  it("refuses an instant in the future or before the period, naming the field", async () => {
    viewer = auditor;
    const future = await fetchReport(`/dashboard/reports/download/compliance.csv?period=this-quarter&asOf=2099-01-01T00:00:00Z`);
    expect(future.status).toBe(400);
    expect((await future.json()).error).toMatchObject({ field: "asOf", message: expect.stringMatching(/must not be in the future/) });
    const before = await fetchReport(`/dashboard/reports/download/compliance.csv?period=custom&from=2026-10-01&to=2026-12-31&asOf=2026-09-01T00:00:00Z`);
    expect(before.status).toBe(400);
    expect((await before.json()).error).toMatchObject({ field: "asOf", message: expect.stringMatching(/after the period's start/) });
    const garbage = await fetchReport(`/dashboard/reports/download/compliance.csv?period=this-quarter&asOf=yesterday`);
    expect((await garbage.json()).error).toMatchObject({ field: "asOf" });
  });

  it("leaves a period that has ended whole, whatever instant a link names", async () => {
    viewer = auditor;
    const res = await fetchReport(
      `/dashboard/reports/download/compliance.csv?period=custom&from=2026-07-01&to=2026-09-30&org=${orgId}&asOf=2026-11-20T00:00:00Z`,
    );
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toMatch(/^rekey compliance report\nperiod,[^,\n]+,2026-07-01T00:00:00.000Z,2026-10-01T00:00:00.000Z\norganization,Audited Ltd\n/);
    expect(body).not.toContain("\nas of,");
  });
});

// Issue 13, item 7: the PDF is an archival document a screen reader can read: tagged (a structure tree of headings,
// paragraphs, tables and figures, MarkInfo /Marked true), and no table cell cut, however long a name.
describe("the PDF as an accessible archival document", () => {
  it("is tagged, with headings, paragraphs, tables with header cells and figures; long names wrap and no cell is cut", async () => {
    const longName = `Internationale Gesellschaft für besonders langlebige Schlüsselverwaltung und Rotationsüberwachung mbH ${"Niederlassung".repeat(4)}`;
    const policyName = "Devices in the field that are re-flashed rarely";
    const org = await createOrganization({ name: longName, contactEmails: ["sec@long.example"] }, { actor: ADMIN, now: d("2025-12-01") });
    const policy = await createPolicy(
      {
        name: policyName,
        maxAgeDays: 60,
        gracePeriodHours: 72,
        emergencyGraceHours: 4,
        noticeDays: 7,
        maxPostponements: 2,
        postponeDays: 30,
        waitForSuccessorUse: false,
        customersManageKeys: false,
        emergencyOnReuse: false,
      },
      { actor: ADMIN, now: d("2025-12-01") },
    );
    await assignPolicy({ organizationId: org.id, policyId: policy.id }, { actor: ADMIN, now: d("2025-12-01") });
    const { key: k } = await issueKey({ organizationId: org.id, environment: "live", name: "old", scopes: [] }, { actor: ADMIN, now: d("2026-01-01") });

    const ctx = await loadReportContext(scope({ organizationId: org.id }));
    // pdfkit warns when it clamps a table row taller than a page (and drops the rest of its text).
    const warn = vi.spyOn(console, "warn");
    const pdf = await compliancePdf(ctx, {
      evidenceSha256: "0".repeat(64),
      evidencePath: `/dashboard/reports/download/compliance.csv?period=custom&org=${org.id}`,
      generatedAt: NOW,
      generatedBy: "auditor@example.com",
    });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    const file = path.join(mkdtempSync(path.join(tmpdir(), "rekey-tagged-")), "report.pdf");
    writeFileSync(file, pdf);
    if (process.env.REKEY_REPORT_PDF_OUT) writeFileSync(process.env.REKEY_REPORT_PDF_OUT.replace(/\.pdf$/, "-long-names.pdf"), pdf);

    const qpdf = spawnSync("qpdf", ["--check", file], { encoding: "utf8" });
    if (qpdf.error && !process.env.CI) return console.warn("qpdf is not installed: the tagged PDF's checks are left to CI");
    expect(qpdf.status, qpdf.stdout + qpdf.stderr).toBe(0);
    // The catalog has a structure tree and says the content is marked; count the structure elements by type.
    const objects = JSON.parse(spawnSync("qpdf", ["--json", "--json-key=qpdf", file], { encoding: "utf8", maxBuffer: 64 << 20 }).stdout).qpdf[1] as Record<
      string,
      { value?: Record<string, unknown> }
    >;
    const values = Object.values(objects)
      .map((o) => o.value)
      .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null);
    const catalog = values.find((v) => v["/Type"] === "/Catalog")!;
    expect(catalog["/StructTreeRoot"]).toBeTruthy();
    expect(catalog["/Lang"]).toBe("u:en-GB");
    expect(objects[`obj:${catalog["/MarkInfo"]}`].value).toMatchObject({ "/Marked": true });
    const types = new Set(values.filter((v) => "/S" in v && "/P" in v).map((v) => v["/S"]));
    for (const t of ["/Document", "/Sect", "/H1", "/H2", "/P", "/Table", "/TR", "/TH", "/TD", "/Figure"]) expect(types, t).toContain(t);
    expect(spawnSync("pdfinfo", [file], { encoding: "utf8" }).stdout).toMatch(/^Tagged:\s+yes$/m);

    // Every cell's text is all there, wrapped inside its cell: the long names in full, in the keys' and exceptions' tables.
    const raw = spawnSync("pdftotext", ["-raw", file, "-"], { encoding: "utf8" }).stdout.replace(/\s+/g, "");
    const squeeze = (t: string) => t.replace(/\s+/g, "");
    expect(raw.split(squeeze(longName)).length - 1).toBeGreaterThanOrEqual(3); // the title page, the exception, the key
    expect(raw).toContain(squeeze(`${policyName} v1, 60`));
    expect(raw).toContain(k.prefix);
  });
});
