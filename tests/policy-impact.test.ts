import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, resetTestData, testPrisma } from "./support/database";
import { ADMIN, T0, makeKey, makeOrg } from "./support/fixtures";
import { previewPolicyAssignment } from "../lib/policies/impact";
import { assignPolicy, createPolicy } from "../lib/policies/mutations";
import { scheduleDueRotations } from "../lib/cron/schedule";
import { createRotation, cancelRotation } from "../lib/rotations/mutations";

// Issue 15: a policy change says what it will do before it is made, by the cron's own rules.
useTestDatabase();
beforeEach(resetTestData);

const DAY = 86_400_000;
const daysBefore = (n: number) => new Date(T0.getTime() - n * DAY);

describe("previewing a policy change", () => {
  it("counts keys past max age before and after, and exactly the rotations the next cron run then schedules", async () => {
    const org = await makeOrg();
    // Ages 10, 25, 28 (will be cancelled: left alone for a notice period), 40 and 70 days, on the default policy (90 days).
    for (const age of [10, 25, 40, 70]) await makeKey(org.id, { at: daysBefore(age) });
    const cancelled = (await makeKey(org.id, { at: daysBefore(28) })).key;
    const { rotation } = await createRotation(
      { keyId: cancelled.id, kind: "scheduled", scheduledAt: new Date(T0.getTime() + DAY) },
      { actor: ADMIN, now: daysBefore(1) },
    );
    await cancelRotation({ rotationId: rotation.id }, { actor: ADMIN, now: daysBefore(1) });
    const strict = await createPolicy(
      {
        name: "Thirty days",
        maxAgeDays: 30,
        gracePeriodHours: 24,
        emergencyGraceHours: 4,
        noticeDays: 7,
        maxPostponements: 1,
        postponeDays: 7,
        waitForSuccessorUse: false,
        customersManageKeys: false,
        emergencyOnReuse: false,
      },
      { actor: ADMIN, now: daysBefore(100) },
    );
    const impact = await previewPolicyAssignment(org.id, strict.id, T0);
    expect(impact).toEqual({
      from: { name: "Default", maxAgeDays: 90 },
      to: { name: "Thirty days", maxAgeDays: 30, noticeDays: 7, gracePeriodHours: 24 },
      keysInUse: 5,
      overdueNow: 0,
      overdueAfter: 2, // 40 and 70 days
      scheduledByCron: 3, // 25, 40, 70 (23 days or older), not the one cancelled yesterday
      startAtOnce: 2, // 40 and 70: past 30 days less a day of grace
      contacts: 2,
    });
    // Nothing changed by looking.
    const prisma = await testPrisma();
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).policyId).toBeNull();
    // And it is what happens.
    await assignPolicy({ organizationId: org.id, policyId: strict.id }, { actor: ADMIN, now: T0 });
    expect(await scheduleDueRotations(T0)).toBe(impact.scheduledByCron);
    const started = await prisma.rotation.count({ where: { state: "scheduled", scheduledAt: { lte: T0 } } });
    expect(started).toBe(impact.startAtOnce);
    // Back to the default: the preview says so too.
    expect(await previewPolicyAssignment(org.id, null, T0)).toMatchObject({
      from: { name: "Thirty days", maxAgeDays: 30 },
      to: { name: "Default", maxAgeDays: 90 },
      overdueNow: 2,
      overdueAfter: 0,
    });
    await expect(previewPolicyAssignment(org.id, "no-such-policy", T0)).rejects.toThrow(/policyId: no such policy/);
  });
});
