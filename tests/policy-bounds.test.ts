import { beforeEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { ADMIN, T0, makeKey, makeOrg } from "./support/fixtures";
import { createRotation, postponeRotation } from "../lib/rotations/mutations";
import { scheduleRotationsForFilter } from "../lib/rotations/bulk";
import { latestAllowedStart } from "../lib/rotations/limits";
import { DEFAULT_POLICY } from "../lib/policies/defaults";
import { ValidationError } from "../lib/errors";
import { call } from "./support/http";
import { POST as createRotationRoute } from "../app/api/v1/keys/[id]/rotations/route";
import { getOverview } from "../lib/reports/overview";
import { listKeys } from "../lib/keys/queries";
import { getComplianceSummary, streamKeyRows } from "../lib/reports/compliance";
import { complianceCsvChunks, loadReportContext } from "../lib/reports/files";
import { renderMetrics } from "../lib/metrics";
import { runCron } from "../lib/cron/run";
import { fileMailer } from "../lib/notifications/mailer";
import { assignPolicy, updatePolicy } from "../lib/policies/mutations";
import type { Viewer } from "../lib/auth/viewer";
import type { ReportScope } from "../lib/reports/period";
import { mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { compliancePdf } from "../lib/reports/pdf";
import { listOrganizations } from "../lib/organizations/queries";
import { tmpdir } from "node:os";
import path from "node:path";

// Server actions read the viewer from next-auth's cookie; here it is set directly, as getViewer would return it.
let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
const { rotateKeyAction } = await import("../app/(staff)/dashboard/keys/[id]/actions");
const { updatePolicyAction } = await import("../app/(staff)/dashboard/policies/actions");
const admin: Viewer = {
  userId: "admin-1",
  email: "admin@example.com",
  role: "admin",
  orgId: null,
  signedInAt: new Date(),
  sessionId: "00000000-0000-4000-8000-000000000000",
};

useTestDatabase();
beforeEach(resetTestData);

const DAY = 86_400_000;
// DOMAIN.md's defaults: max age 90 days, grace 72 h, 2 postponements of 30 days.
const LATEST = new Date(T0.getTime() + (90 + 2 * 30) * DAY - 72 * 3_600_000);

// Issue 18, item 1: no schedule may keep a key working past its max age plus the postponements its policy grants.
describe("the latest allowed start of a scheduled rotation", () => {
  it("is the key's creation + max age + postponement allowance − grace", () => {
    expect(latestAllowedStart(T0, DEFAULT_POLICY, 72)).toEqual(LATEST);
  });

  it("accepts a schedule at the latest allowed start and refuses one a millisecond later, naming the instant, changing nothing", async () => {
    const org = await makeOrg();
    const { key: a } = await makeKey(org.id);
    const { key: b } = await makeKey(org.id);
    const now = new Date(T0.getTime() + DAY);
    await expect(createRotation({ keyId: a.id, kind: "scheduled", scheduledAt: new Date(LATEST.getTime() + 1) }, { actor: ADMIN, now })).rejects.toThrow(
      new RegExp(`^scheduledAt: must be no later than ${LATEST.toISOString().replace(/\./g, "\\.")}`),
    );
    const prisma = await testPrisma();
    expect(await prisma.rotation.count()).toBe(0);
    expect(await prisma.auditEvent.count({ where: { action: "rotation.scheduled" } })).toBe(0);
    const { rotation } = await createRotation({ keyId: b.id, kind: "scheduled", scheduledAt: LATEST }, { actor: ADMIN, now });
    expect(rotation.graceEndsAt).toEqual(new Date(LATEST.getTime() + 72 * 3_600_000));
    // A shorter grace moves the bound later by as much; a year 9999 schedule is refused whatever the grace.
    await expect(
      createRotation({ keyId: a.id, kind: "scheduled", scheduledAt: new Date("9999-01-01T00:00:00Z"), gracePeriodHours: 1 }, { actor: ADMIN, now }),
    ).rejects.toThrow(ValidationError);
    expect(
      (
        await createRotation(
          { keyId: a.id, kind: "scheduled", scheduledAt: new Date(LATEST.getTime() + 71 * 3_600_000), gracePeriodHours: 1 },
          { actor: ADMIN, now },
        )
      ).rotation.state,
    ).toBe("scheduled");
  });

  it("tells an operator to rotate now when the latest start has passed", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const now = new Date(LATEST.getTime() + DAY);
    await expect(createRotation({ keyId: key.id, kind: "scheduled", scheduledAt: new Date(now.getTime() + 3_600_000) }, { actor: ADMIN, now })).rejects.toThrow(
      /had to start rotating by .*rotate it now instead/,
    );
    expect((await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now })).rotation.state).toBe("grace");
  });

  it("a postponement stops at the same bound", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const now = new Date(T0.getTime() + 80 * DAY);
    const { rotation } = await createRotation({ keyId: key.id, kind: "scheduled", scheduledAt: new Date(T0.getTime() + 89 * DAY) }, { actor: ADMIN, now });
    const once = await postponeRotation({ rotationId: rotation.id }, { actor: ADMIN, now });
    expect(once.scheduledAt).toEqual(new Date(T0.getTime() + 119 * DAY));
    const twice = await postponeRotation({ rotationId: rotation.id }, { actor: ADMIN, now });
    expect(twice.scheduledAt).toEqual(LATEST); // 149 days would be past it
  });

  it("bulk scheduling leaves out the keys that must start earlier, and says how many and by when", async () => {
    const org = await makeOrg();
    const { key: old } = await makeKey(org.id);
    const { key: young } = await makeKey(org.id);
    const prisma = await testPrisma();
    await prisma.apiKey.update({ where: { id: young.id }, data: { createdAt: new Date(T0.getTime() + 30 * DAY) } });
    const now = new Date(T0.getTime() + 100 * DAY);
    const at = new Date(LATEST.getTime() + DAY); // past the old key's bound, within the young one's
    const result = await scheduleRotationsForFilter({ organizationId: org.id, scheduledAt: at, reason: "catch up" }, { actor: ADMIN, now });
    expect(result).toEqual({ scheduled: 1, tooLate: 1, tooLateMustStartBy: LATEST });
    expect(await prisma.rotation.findMany({ select: { keyId: true } })).toEqual([{ keyId: young.id }]);
    expect(old.id).not.toBe(young.id);
  });
});

// The same bound through the two doors a person or a script uses: the management API and the dashboard's server action.
describe("the latest allowed start, through the API and the dashboard", () => {
  it("refuses a schedule past it with the instant in the answer, and accepts one at it", async () => {
    const org = await makeOrg();
    const issued = new Date(Date.now() - 60_000);
    const { key: a } = await makeKey(org.id, { at: issued });
    const { key: b } = await makeKey(org.id, { at: issued });
    const latest = latestAllowedStart(issued, DEFAULT_POLICY, 72);
    const late = new Date(latest.getTime() + 60_000).toISOString();
    const refused = await call(createRotationRoute, { params: { id: a.id }, body: { kind: "scheduled", scheduledAt: late } });
    expect(refused.status).toBe(400);
    expect(refused.json.error.message).toContain(`no later than ${latest.toISOString()}`);
    viewer = admin;
    const action = await rotateKeyAction({ keyId: b.id, kind: "scheduled", scheduledAt: late });
    expect(action).toMatchObject({ ok: false, field: "scheduledAt", error: expect.stringContaining(latest.toISOString()) });
    expect(await (await testPrisma()).rotation.count()).toBe(0);
    const accepted = await call(createRotationRoute, { params: { id: a.id }, body: { kind: "scheduled", scheduledAt: latest.toISOString() } });
    expect(accepted.status).toBe(201);
  });
});

// Issue 18, item 2: an open rotation, however far off, does not make an overdue key compliant.
describe("a key past its max age with a rotation scheduled after it", () => {
  it("is overdue in the overview, the keys filter, the compliance report, the metrics and the cron's alerts", async () => {
    const org = await makeOrg();
    const { key: old } = await makeKey(org.id);
    const { key: young } = await makeKey(org.id, { at: new Date(T0.getTime() + 80 * DAY) });
    // Scheduled at day 85 for day 120: within the latest allowed start (the postponements' allowance), after its max age.
    await createRotation(
      { keyId: old.id, kind: "scheduled", scheduledAt: new Date(T0.getTime() + 120 * DAY) },
      { actor: ADMIN, now: new Date(T0.getTime() + 85 * DAY) },
    );
    const now = new Date(T0.getTime() + 100 * DAY);

    const overview = await getOverview(now);
    expect(overview.compliance).toMatchObject({ inUse: 2, compliant: 1 });
    expect((await listKeys({ overdue: true }, now)).keys.map((k) => k.id)).toEqual([old.id]);

    const scope: ReportScope = { from: new Date(T0.getTime() + 90 * DAY), to: now, organizationId: org.id, environment: null, label: "test", preset: "custom" };
    expect((await getComplianceSummary(scope)).exceptions.keys).toBe(1);
    const rows = [];
    for await (const batch of streamKeyRows(scope, { onlyExceptions: true })) rows.push(...batch);
    expect(rows.map((r) => [r.keyId, r.compliant, r.exception])).toEqual([[old.id, false, "rotation scheduled after max age"]]);
    let csv = "";
    for await (const chunk of complianceCsvChunks(await loadReportContext(scope))) csv += chunk;
    expect(csv).toContain(`non-compliant key,${org.name},${old.prefix},,rotation scheduled after max age`);

    expect((await renderMetrics(now)).body).toMatch(/^rekey_compliance_ratio 0\.5$/m);

    const mailer = fileMailer(mkdtempSync(path.join(tmpdir(), "rekey-mail-")));
    await runCron(now, { delivery: { mailer } });
    const prisma = await testPrisma();
    const alerts = await prisma.alert.findMany({ where: { kind: "key_past_max_age" }, select: { keyId: true } });
    expect(alerts).toEqual([{ keyId: old.id }]);
    // The cron left the far rotation alone: it is still scheduled for day 120, the key still counted overdue.
    expect(await prisma.rotation.findMany({ where: { keyId: old.id }, select: { state: true, scheduledAt: true } })).toEqual([
      { state: "scheduled", scheduledAt: new Date(T0.getTime() + 120 * DAY) },
    ]);
    expect(young.id).not.toBe(old.id);
  });
});

// Issue 18, item 3: a policy outside the usual bounds needs a reason, which is audited and printed.
describe("policy bounds", () => {
  const settings = {
    maxAgeDays: 90,
    gracePeriodHours: 72,
    emergencyGraceHours: 4,
    noticeDays: 7,
    maxPostponements: 2,
    postponeDays: 30,
    waitForSuccessorUse: false,
    customersManageKeys: false,
    emergencyOnReuse: false,
  };
  const makePolicy = async () => (await testPrisma()).rotationPolicy.create({ data: { name: `P ${Math.random()}` } });

  it("refuses a max age above 365 days, or shorter than notice plus grace, without a reason, and changes nothing", async () => {
    const policy = await makePolicy();
    const now = new Date();
    await expect(updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 3650 }, { actor: ADMIN, now })).rejects.toThrow(
      /^exceptionReason: is required.*3650 days is above 365/,
    );
    await expect(updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 366, exceptionReason: "  too short " }, { actor: ADMIN, now })).rejects.toThrow(
      /exceptionReason: is required, at least 10/,
    );
    await expect(updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 7, noticeDays: 5, gracePeriodHours: 72 }, { actor: ADMIN, now })).rejects.toThrow(
      /shorter than the notice \(5 days\) plus the grace period \(72 hours\)/,
    );
    viewer = admin;
    expect(await updatePolicyAction({ policyId: policy.id, ...settings, maxAgeDays: 400 })).toMatchObject({ ok: false, field: "exceptionReason" });
    const prisma = await testPrisma();
    expect(await prisma.rotationPolicy.findUniqueOrThrow({ where: { id: policy.id } })).toMatchObject({ maxAgeDays: 90, exceptionReason: null });
    expect(await prisma.auditEvent.count({ where: { action: "policy.updated" } })).toBe(0);
    // At the bounds themselves, no reason is needed.
    await updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 365 }, { actor: ADMIN, now });
    await updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 10, noticeDays: 7, gracePeriodHours: 72 }, { actor: ADMIN, now });
  });

  it("with a reason, saves and audits it, prints it in the compliance report, and drops it back within bounds", async () => {
    const policy = await makePolicy();
    const org = await makeOrg();
    const prisma = await testPrisma();
    // Through the policies' own mutation: a raw update would leave no policy history, and the report reads that.
    await assignPolicy({ organizationId: org.id, policyId: policy.id }, { actor: ADMIN, now: T0 });
    await makeKey(org.id);
    const reason = "Embedded devices in the field cannot be re-flashed more than once a year (CISO approval 2026-11).";
    await updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 400, exceptionReason: reason }, { actor: ADMIN, now: T0 });
    expect(await prisma.rotationPolicy.findUniqueOrThrow({ where: { id: policy.id } })).toMatchObject({ maxAgeDays: 400, exceptionReason: reason });
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "policy.updated" } });
    expect(event.reason).toContain(reason);
    expect(event.after).toMatchObject({ maxAgeDays: 400, exceptionReason: reason });

    const scope: ReportScope = { from: T0, to: new Date(T0.getTime() + 30 * DAY), organizationId: null, environment: null, label: "test", preset: "custom" };
    expect((await getComplianceSummary(scope)).policyExceptions).toEqual([{ policy: policy.name, outside: "a max age of 400 days is above 365", reason }]);
    let csv = "";
    for await (const chunk of complianceCsvChunks(await loadReportContext(scope))) csv += chunk;
    expect(csv).toContain("Policies outside the usual bounds");
    expect(csv).toContain(`${policy.name},a max age of 400 days is above 365,${reason}`);
    const pdfFile = path.join(mkdtempSync(path.join(tmpdir(), "rekey-exception-")), "report.pdf");
    writeFileSync(
      pdfFile,
      await compliancePdf(await loadReportContext(scope), {
        evidenceSha256: "0".repeat(64),
        evidencePath: "/dashboard/reports/download/compliance.csv",
        generatedAt: T0,
        generatedBy: "auditor@example.com",
      }),
    );
    const pdfText = spawnSync("pdftotext", ["-layout", pdfFile, "-"], { encoding: "utf8" }).stdout.replace(/\s+/g, " ");
    if (pdfText || process.env.CI) {
      expect(pdfText).toContain("Policies outside the usual bounds");
      expect(pdfText).toContain("Embedded devices in the field cannot be re"); // pdfkit hyphenates "re-flashed" across lines
    }
    // Shown wherever the policy is: the organizations list carries it, for an organization on the policy and for one
    // that follows the default policy once the default has an exception.
    const onDefault = await makeOrg();
    expect((await listOrganizations(T0)).find((o) => o.id === org.id)).toMatchObject({ exceptionReason: reason });
    expect((await listOrganizations(T0)).find((o) => o.id === onDefault.id)).toMatchObject({ exceptionReason: null });

    await updatePolicy({ policyId: policy.id, ...settings, exceptionReason: reason }, { actor: ADMIN, now: T0 });
    expect((await prisma.rotationPolicy.findUniqueOrThrow({ where: { id: policy.id } })).exceptionReason).toBeNull();
    expect((await getComplianceSummary(scope)).policyExceptions).toEqual([]);
  });
});
