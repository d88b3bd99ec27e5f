import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { useTestDatabase, testPrisma } from "./support/database";
import { ADMIN, hours, at, makeKey, makeOrg } from "./support/fixtures";
import { inTransaction } from "../lib/db";
import { appendAuditEvent } from "../lib/audit/write";
import { auditCsvChunks, auditJsonlChunks } from "../lib/reports/files";
import { verifyExportFile } from "../lib/audit/offline";
import type { ReportScope } from "../lib/reports/period";

// Issue 13, item 1: the offline check reads the file as written. Every tampering below is caught in both formats;
// the untouched exports (empty strings, nulls, unicode, odd numbers, a gap in seq) are intact, and the documented
// Python verifier (docs/audit_verify.py) agrees with `audit:verify` on every JSON Lines case.
useTestDatabase();

const dir = mkdtempSync(path.join(tmpdir(), "rekey-audit-export-"));
const whole: ReportScope = {
  from: new Date("2020-01-01T00:00:00Z"),
  to: new Date("2030-01-01T00:00:00Z"),
  organizationId: null,
  environment: null,
  label: "all",
  preset: "custom",
};
let jsonl: string[] = [];
let csv: string[] = [];

const write = (name: string, lines: string[]) => {
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
};
const cli = (file: string, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts", file, ...args], { encoding: "utf8" });
const python = (file: string, ...args: string[]) => spawnSync("python3", ["docs/audit_verify.py", file, ...args], { encoding: "utf8" });

beforeAll(async () => {
  const org = await makeOrg();
  await makeKey(org.id);
  const odd = async (n: number, event: Parameters<typeof appendAuditEvent>[1]) => inTransaction((tx) => appendAuditEvent(tx, event, at(hours(n))));
  await odd(1, { actor: ADMIN, action: "policy.updated", reason: "" });
  await odd(2, { actor: ADMIN, action: "policy.updated", reason: null, before: null, after: { note: "" } });
  await odd(3, {
    actor: ADMIN,
    action: "organization.updated",
    reason: 'Schlüssel 🔑 ротация "quoted", back\\slash, tab\there, line\nbreak, \u0001 control, \u2028 separator, \u202e right-to-left',
    before: { ünï: "ç", b: 1, a: [1, "x", null, true, false], "10": "ten", "9": "nine", "€": "euro", "😀": "emoji key" },
    after: { big: 12345678901234567000, tiny: 1e-7, small: 0.000001, ratio: 0.1, huge: 1.5e22, negative: -2.5, zero: 0, nested: { z: { y: [] }, a: {} } },
  });
  // PostgreSQL's sequences skip values after a crash or a rolled-back transaction: a gap is not a deletion.
  await (await testPrisma()).$executeRawUnsafe(`SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), (SELECT max(seq) FROM audit_events) + 7)`);
  await inTransaction(async (tx) => {
    await appendAuditEvent(tx, { actor: ADMIN, action: "policy.updated", reason: "after the gap" }, at(hours(4)));
    await appendAuditEvent(tx, { actor: "system:cron", action: "alert.raised", reason: "last one", keyFingerprint: "rk_live_abc" }, at(hours(5)));
  });
  let text = "";
  for await (const chunk of auditJsonlChunks(whole)) text += chunk;
  jsonl = text.trimEnd().split("\n");
  text = "";
  for await (const chunk of auditCsvChunks(whole)) text += chunk;
  csv = text.trimEnd().split("\n");
});

describe("an untouched export", () => {
  it("is intact in both formats, with empty strings, nulls, unicode, odd numbers and a seq gap, and the Python verifier agrees", async () => {
    const fromJsonl = await verifyExportFile(write("intact.jsonl", jsonl));
    expect(fromJsonl).toMatchObject({ ok: true, firstSeq: "1", seqGaps: 7, startsFrom: "0".repeat(64) });
    expect(fromJsonl.checked).toBe(jsonl.length);
    expect(await verifyExportFile(write("intact.csv", csv))).toEqual(fromJsonl);
    const ours = cli(path.join(dir, "intact.jsonl"), "--head", fromJsonl.headHash!);
    expect(ours.status, ours.stdout + ours.stderr).toBe(0);
    expect(ours.stdout).toContain("7 sequence value(s) skipped");
    const theirs = python(path.join(dir, "intact.jsonl"), fromJsonl.headHash!);
    expect(theirs.stdout.trim(), theirs.stderr).toBe(`INTACT: ${jsonl.length} events, head ${fromJsonl.headHash}`);
    expect(theirs.status).toBe(0);
    // The empty string and null read back apart from the CSV: the file says so by quoting.
    expect(csv.some((line) => line.includes(',policy.updated,,,,,"",success,'))).toBe(true);
    expect(csv.some((line) => line.includes(",policy.updated,,,,,,success,"))).toBe(true);
  });
});

describe("a tampered export", () => {
  const event = (i: number) => JSON.parse(jsonl[i]) as Record<string, unknown>;
  const replaced = (lines: string[], i: number, line: string) => [...lines.slice(0, i), line, ...lines.slice(i + 1)];
  const middle = 4; // the unicode event (asserted below)
  const jsonlCases: [string, () => string[], RegExp][] = [
    [
      "an added field",
      () => replaced(jsonl, middle, JSON.stringify({ ...event(middle), note: "approved by the CISO" })),
      /field the export does not write: note/,
    ],
    [
      "a removed field",
      () => replaced(jsonl, middle, JSON.stringify(Object.fromEntries(Object.entries(event(middle)).filter(([k]) => k !== "reason")))),
      /lacks the field reason/,
    ],
    [
      "a timestamp in another form",
      () => replaced(jsonl, middle, jsonl[middle].replace(/"at":"([^"]+)\.(\d{3})Z"/, '"at":"$1.$2+00:00"')),
      /time .* is not written as rekey writes times/,
    ],
    [
      "a timestamp without milliseconds",
      () => replaced(jsonl, middle, jsonl[middle].replace(/"at":"([^"]+)\.000Z"/, '"at":"$1Z"')),
      /is not written as rekey writes times/,
    ],
    ["reordered fields", () => replaced(jsonl, middle, JSON.stringify(Object.fromEntries(Object.entries(event(middle)).reverse()))), /not byte for byte/],
    ["a changed value", () => replaced(jsonl, middle, JSON.stringify({ ...event(middle), reason: "nothing to see" })), /edited after it was written/],
    ["a changed number", () => replaced(jsonl, middle, jsonl[middle].replace('"ratio":0.1', '"ratio":0.2')), /edited after it was written/],
    ["a deleted middle event", () => [...jsonl.slice(0, middle), ...jsonl.slice(middle + 1)], /deleted, reordered or changed/],
    ["reordered lines", () => [...jsonl.slice(0, middle), jsonl[middle + 1], jsonl[middle], ...jsonl.slice(middle + 2)], /reordered|deleted/],
  ];

  it("has the unicode event where the cases expect it", () => {
    expect(jsonl[middle]).toContain("Schlüssel");
    expect(csv[gapLine]).toContain("after the gap");
  });

  for (const [what, make, reason] of jsonlCases) {
    it(`is refused in JSON Lines: ${what}, and the Python verifier refuses it too`, async () => {
      const file = write(`tampered-${what.replace(/\W+/g, "-")}.jsonl`, make());
      const result = await verifyExportFile(file);
      expect(result.ok).toBe(false);
      expect(result.broken!.reason).toMatch(reason);
      expect(cli(file).status).toBe(1);
      const theirs = python(file);
      expect(theirs.status, theirs.stdout + theirs.stderr).toBe(1);
      expect(theirs.stdout).toMatch(/^BROKEN/);
    });
  }

  it("is refused when the last events are cut off and the head from the report is given", async () => {
    const intact = await verifyExportFile(write("head.jsonl", jsonl));
    const file = write("truncated.jsonl", jsonl.slice(0, -2));
    expect((await verifyExportFile(file)).ok).toBe(true); // a chain alone cannot see its end cut off…
    expect(cli(file, "--head", intact.headHash!).status).toBe(1); // …the head printed in the report can
    expect(python(file, intact.headHash!).status).toBe(1);
  });

  // A one-line record (the unicode event spans two lines: its reason has a line break).
  const gapLine = middle + 3;
  const csvCases: [string, () => string[], RegExp][] = [
    ["an added field", () => replaced(csv, gapLine, `${csv[gapLine]},approved by the CISO`), /15 fields, the export writes 14/],
    ["a removed field", () => replaced(csv, gapLine, csv[gapLine].replace(/,success,/, ",")), /13 fields, the export writes 14/],
    ["a timestamp in another form", () => replaced(csv, 1, csv[1].replace(/\.(\d{3})Z,/, ".$1+00:00,")), /is not written as rekey writes times/],
    [
      "null written as an empty string",
      () => csv.map((l) => l.replace(",policy.updated,,,,,,success,", ',policy.updated,,,,,"",success,')),
      /edited after it was written/,
    ],
    ["an empty string written as null", () => csv.map((l) => l.replace(',"",success,', ",,success,")), /edited after it was written/],
    ["a changed value", () => csv.map((l) => l.replace("after the gap", "before the gap")), /edited after it was written/],
    ["a deleted event", () => [...csv.slice(0, 2), ...csv.slice(3)], /deleted, reordered or changed/],
    ["another header", () => replaced(csv, 0, csv[0].replace("reason", "why")), /header is not rekey's/],
    ["reordered lines", () => [...csv.slice(0, gapLine), csv[gapLine + 1], csv[gapLine], ...csv.slice(gapLine + 2)], /reordered|deleted/],
  ];
  for (const [what, make, reason] of csvCases) {
    it(`is refused in CSV: ${what}`, async () => {
      const file = write(`tampered-${what.replace(/\W+/g, "-")}.csv`, make());
      const result = await verifyExportFile(file);
      expect(result.ok).toBe(false);
      expect(result.broken!.reason).toMatch(reason);
      expect(cli(file).status).toBe(1);
    });
  }

  it("is refused in CSV when the last events are cut off and the head from the report is given", async () => {
    const intact = await verifyExportFile(write("head.csv", csv));
    expect(csv[gapLine + 1]).toContain("last one"); // one record per line at the end: cutting lines cuts events
    const file = write("truncated.csv", csv.slice(0, -2));
    expect(await verifyExportFile(file)).toMatchObject({ ok: true, checked: intact.checked - 2 });
    expect(cli(file, "--head", intact.headHash!).status).toBe(1);
    expect(cli(path.join(dir, "head.csv"), "--head", intact.headHash!).status).toBe(0);
  });
});
