import { beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { ADMIN } from "./support/fixtures";
import { createOrganization, updateOrganization } from "../lib/organizations/mutations";
import { issueKey } from "../lib/keys/mutations";
import { assignPolicy, createPolicy, setDefaultPolicy, updatePolicy } from "../lib/policies/mutations";
import { getComplianceSummary, streamKeyRows, type KeyReportRow } from "../lib/reports/compliance";
import { complianceCsvChunks, loadReportContext } from "../lib/reports/files";
import type { ReportScope } from "../lib/reports/period";

// Issue 13, item 6: a report over a past period judges keys by the policy in force at the period's end, from the
// policy history (lib/policies/history.ts), not by today's.
useTestDatabase();

const d = (s: string) => new Date(`${s}T00:00:00.000Z`);
const settings = {
  gracePeriodHours: 72,
  emergencyGraceHours: 4,
  noticeDays: 7,
  maxPostponements: 2,
  postponeDays: 30,
  waitForSuccessorUse: false,
  customersManageKeys: false,
  emergencyOnReuse: false,
};
const month = (from: string, to: string, organizationId: string | null): ReportScope => ({
  from: d(from),
  to: d(to),
  organizationId,
  environment: null,
  label: from.slice(0, 7),
  preset: "custom",
});
// Every key below is issued on 5 January: 26 days old at 1 February, 55 at 1 March, 86 at 1 April, 116 at 1 May.

async function csvOf(scope: ReportScope) {
  let text = "";
  for await (const chunk of complianceCsvChunks(await loadReportContext(scope))) text += chunk;
  return { text, sha256: createHash("sha256").update(text).digest("hex") };
}

async function rows(scope: ReportScope): Promise<KeyReportRow[]> {
  const all: KeyReportRow[] = [];
  for await (const batch of streamKeyRows(scope)) all.push(...batch);
  return all;
}

let houseId = "";
let yearlyId = "";
let strictId = "";
let onYearly = "";
let moved = "";
let onDefault = "";

beforeAll(async () => {
  await resetTestData();
  const house = await createPolicy({ name: "House", maxAgeDays: 90, ...settings }, { actor: ADMIN, now: d("2026-01-01") });
  await setDefaultPolicy({ policyId: house.id }, { actor: ADMIN, now: d("2026-01-01") });
  houseId = house.id;
  yearlyId = (await createPolicy({ name: "Eighty days", maxAgeDays: 80, ...settings }, { actor: ADMIN, now: d("2026-01-01") })).id;
  strictId = (await createPolicy({ name: "Strict", maxAgeDays: 30, ...settings, noticeDays: 5, gracePeriodHours: 24 }, { actor: ADMIN, now: d("2026-01-01") }))
    .id;
  onYearly = (
    await createOrganization({ name: "On eighty days", contactEmails: ["a@example.com"], policyId: yearlyId }, { actor: ADMIN, now: d("2026-01-02") })
  ).id;
  moved = (await createOrganization({ name: "Moved to strict", contactEmails: ["b@example.com"] }, { actor: ADMIN, now: d("2026-01-02") })).id;
  onDefault = (await createOrganization({ name: "On the default", contactEmails: ["c@example.com"] }, { actor: ADMIN, now: d("2026-01-02") })).id;
  for (const organizationId of [onYearly, moved, onDefault])
    await issueKey({ organizationId, environment: "live", name: "backend", scopes: [] }, { actor: ADMIN, now: d("2026-01-05") });
});

describe("policy history in the compliance report", () => {
  it("a policy's max age changed after a period ended leaves that period's report byte for byte as it was, judged by the old max age", async () => {
    const march = month("2026-03-01", "2026-04-01", onYearly);
    const before = await csvOf(march);
    expect((await rows(march))[0]).toMatchObject({ ageDaysAtEnd: 86, policyMaxAgeDays: 80, compliant: false, policyName: "Eighty days", policyVersion: 1 });

    const updated = await updatePolicy({ policyId: yearlyId, maxAgeDays: 200, ...settings }, { actor: ADMIN, now: d("2026-04-10") });
    expect(updated.maxAgeDays).toBe(200);
    const after = await csvOf(march);
    expect(after.sha256).toBe(before.sha256);
    expect((await rows(march))[0]).toMatchObject({ policyMaxAgeDays: 80, compliant: false, policyVersion: 1 });
    expect(before.text).toContain(",86,Eighty days,1,80,no");

    // The period after the change is judged by the new version.
    const april = month("2026-04-01", "2026-05-01", onYearly);
    expect((await rows(april))[0]).toMatchObject({ ageDaysAtEnd: 116, policyMaxAgeDays: 200, compliant: true, policyName: "Eighty days", policyVersion: 2 });
    expect((await csvOf(april)).text).toContain(",116,Eighty days,2,200,yes");
    expect((await getComplianceSummary(april)).complianceAtEnd).toBe(1);
    expect((await getComplianceSummary(march)).complianceAtEnd).toBe(0);
  });

  it("an organization moved to another policy is judged by the one it had at each period's end", async () => {
    const february = month("2026-02-01", "2026-03-01", moved);
    const before = await csvOf(february);
    expect((await rows(february))[0]).toMatchObject({ ageDaysAtEnd: 55, policyName: "House", policyMaxAgeDays: 90, compliant: true });

    await assignPolicy({ organizationId: moved, policyId: strictId }, { actor: ADMIN, now: d("2026-03-10") });
    expect((await csvOf(february)).sha256).toBe(before.sha256);
    const march = month("2026-03-01", "2026-04-01", moved);
    expect((await rows(march))[0]).toMatchObject({ ageDaysAtEnd: 86, policyName: "Strict", policyVersion: 1, policyMaxAgeDays: 30, compliant: false });
    expect((await getComplianceSummary(march)).exceptions.keys).toBe(1);

    // And back to the default later: March stays judged by Strict.
    const marchCsv = await csvOf(march);
    await assignPolicy({ organizationId: moved, policyId: null }, { actor: ADMIN, now: d("2026-04-15") });
    expect((await csvOf(march)).sha256).toBe(marchCsv.sha256);
    // April ends after the move back: judged by the default of then.
    expect((await rows(month("2026-04-01", "2026-05-01", moved)))[0]).toMatchObject({ policyName: "House", policyMaxAgeDays: 90, compliant: false });
  });

  it("a policy changed through the management API's PATCH of an organization is history too", async () => {
    const patched = (await createOrganization({ name: "Patched to strict", contactEmails: ["p@example.com"] }, { actor: ADMIN, now: d("2026-01-02") })).id;
    await issueKey({ organizationId: patched, environment: "live", name: "backend", scopes: [] }, { actor: ADMIN, now: d("2026-01-05") });
    const february = month("2026-02-01", "2026-03-01", patched);
    const before = await csvOf(february);
    await updateOrganization(patched, { policyId: strictId }, { actor: ADMIN, now: d("2026-03-10") });
    expect((await csvOf(february)).sha256).toBe(before.sha256);
    expect((await rows(month("2026-03-01", "2026-04-01", patched)))[0]).toMatchObject({ policyName: "Strict", policyMaxAgeDays: 30, compliant: false });
  });

  it("a change of the default policy applies from then on, and an outside-bounds policy is listed only where it was in force", async () => {
    const february = month("2026-02-01", "2026-03-01", onDefault);
    const before = await csvOf(february);
    const lax = await createPolicy(
      { name: "Lax", maxAgeDays: 400, ...settings, exceptionReason: "Field devices re-flashed once a year only." },
      { actor: ADMIN, now: d("2026-03-05") },
    );
    await setDefaultPolicy({ policyId: lax.id }, { actor: ADMIN, now: d("2026-03-05") });
    expect((await csvOf(february)).sha256).toBe(before.sha256);
    expect((await getComplianceSummary(february)).policyExceptions).toEqual([]);
    const march = month("2026-03-01", "2026-04-01", onDefault);
    expect((await rows(march))[0]).toMatchObject({ policyName: "Lax", policyVersion: 2, policyMaxAgeDays: 400, compliant: true });
    expect((await getComplianceSummary(march)).policyExceptions).toEqual([
      { policy: "Lax", outside: "a max age of 400 days is above 365", reason: "Field devices re-flashed once a year only." },
    ]);
    // Every change is a version, written with its audit event.
    const prisma = await testPrisma();
    expect(
      await prisma.policyVersion.findMany({
        where: { policyId: houseId },
        orderBy: { version: "asc" },
        select: { version: true, isDefault: true, validFrom: true },
      }),
    ).toEqual([
      { version: 1, isDefault: false, validFrom: d("2026-01-01") },
      { version: 2, isDefault: true, validFrom: d("2026-01-01") },
      { version: 3, isDefault: false, validFrom: d("2026-03-05") },
    ]);
    expect(await prisma.auditEvent.count({ where: { action: "policy.default_changed" } })).toBe(2);
  });
});

describe("a policy or assignment from before the history was kept", () => {
  it("is read as it is now until it changes; then its former state is kept from its creation", async () => {
    const prisma = await testPrisma();
    const legacy = await prisma.rotationPolicy.create({ data: { name: "Legacy", maxAgeDays: 40, createdAt: d("2026-01-01") } });
    const org = await prisma.organization.create({
      data: { name: "Legacy Ltd", contactEmails: ["l@example.com"], policyId: legacy.id, createdAt: d("2026-01-01") },
    });
    await issueKey({ organizationId: org.id, environment: "live", name: "backend", scopes: [] }, { actor: ADMIN, now: d("2026-01-05") });
    const february = month("2026-02-01", "2026-03-01", org.id);
    const before = await csvOf(february);
    expect((await rows(february))[0]).toMatchObject({ policyName: "Legacy", policyVersion: null, policyMaxAgeDays: 40, compliant: false });
    await updatePolicy({ policyId: legacy.id, maxAgeDays: 90, ...settings }, { actor: ADMIN, now: d("2026-03-02") });
    await assignPolicy({ organizationId: org.id, policyId: strictId }, { actor: ADMIN, now: d("2026-03-02") });
    // The report's bytes differ only in the version it now names ("Legacy,1": recorded from the policy's creation).
    const after = await csvOf(february);
    expect(after.text).toBe(before.text.replace(",Legacy,,40,", ",Legacy,1,40,"));
    expect((await rows(month("2026-03-01", "2026-04-01", org.id)))[0]).toMatchObject({ policyName: "Strict", policyMaxAgeDays: 30 });
  });

  it("the migration backfills one version per policy and one assignment per organization, from their creation", async () => {
    const prisma = await testPrisma();
    const dir = readdirSync("prisma/migrations").find((m) => m.endsWith("_policy_history"))!;
    const sql = readFileSync(path.join("prisma/migrations", dir, "migration.sql"), "utf8");
    const backfill = sql.slice(sql.indexOf("-- Backfill"));
    await prisma.$executeRawUnsafe(`TRUNCATE policy_versions, policy_assignments`);
    const [policies, orgs] = await Promise.all([prisma.rotationPolicy.findMany(), prisma.organization.findMany()]);
    for (const statement of backfill.split(";").filter((s) => s.replace(/--.*$/gm, "").trim())) await prisma.$executeRawUnsafe(statement);
    const versions = await prisma.policyVersion.findMany();
    expect(versions).toHaveLength(policies.length);
    for (const p of policies)
      expect(versions.find((v) => v.policyId === p.id)).toMatchObject({
        version: 1,
        validFrom: p.createdAt,
        maxAgeDays: p.maxAgeDays,
        isDefault: p.isDefault,
        name: p.name,
      });
    const assignments = await prisma.policyAssignment.findMany();
    expect(assignments).toHaveLength(orgs.length);
    for (const o of orgs) expect(assignments.find((a) => a.organizationId === o.id)).toMatchObject({ policyId: o.policyId, validFrom: o.createdAt });
  });
});
