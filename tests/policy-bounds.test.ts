import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { ADMIN, T0, makeKey, makeOrg } from "./support/fixtures";
import { createRotation, postponeRotation } from "../lib/rotations/mutations";
import { scheduleRotationsForFilter } from "../lib/rotations/bulk";
import { latestAllowedStart } from "../lib/rotations/limits";
import { DEFAULT_POLICY } from "../lib/policies/defaults";
import { ValidationError } from "../lib/errors";

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
    await expect(createRotation({ keyId: a.id, kind: "scheduled", scheduledAt: new Date(LATEST.getTime() + 1) }, ADMIN, now)).rejects.toThrow(
      new RegExp(`^scheduledAt: must be no later than ${LATEST.toISOString().replace(/\./g, "\\.")}`),
    );
    const prisma = await testPrisma();
    expect(await prisma.rotation.count()).toBe(0);
    expect(await prisma.auditEvent.count({ where: { action: "rotation.scheduled" } })).toBe(0);
    const { rotation } = await createRotation({ keyId: b.id, kind: "scheduled", scheduledAt: LATEST }, ADMIN, now);
    expect(rotation.graceEndsAt).toEqual(new Date(LATEST.getTime() + 72 * 3_600_000));
    // A shorter grace moves the bound later by as much; a year 9999 schedule is refused whatever the grace.
    await expect(createRotation({ keyId: a.id, kind: "scheduled", scheduledAt: new Date("9999-01-01T00:00:00Z"), gracePeriodHours: 1 }, ADMIN, now)).rejects.toThrow(ValidationError);
    expect((await createRotation({ keyId: a.id, kind: "scheduled", scheduledAt: new Date(LATEST.getTime() + 71 * 3_600_000), gracePeriodHours: 1 }, ADMIN, now)).rotation.state).toBe("scheduled");
  });

  it("tells an operator to rotate now when the latest start has passed", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const now = new Date(LATEST.getTime() + DAY);
    await expect(createRotation({ keyId: key.id, kind: "scheduled", scheduledAt: new Date(now.getTime() + 3_600_000) }, ADMIN, now)).rejects.toThrow(/had to start rotating by .*rotate it now instead/);
    expect((await createRotation({ keyId: key.id, kind: "manual" }, ADMIN, now)).rotation.state).toBe("grace");
  });

  it("a postponement stops at the same bound", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const now = new Date(T0.getTime() + 80 * DAY);
    const { rotation } = await createRotation({ keyId: key.id, kind: "scheduled", scheduledAt: new Date(T0.getTime() + 89 * DAY) }, ADMIN, now);
    const once = await postponeRotation({ rotationId: rotation.id }, ADMIN, now);
    expect(once.scheduledAt).toEqual(new Date(T0.getTime() + 119 * DAY));
    const twice = await postponeRotation({ rotationId: rotation.id }, ADMIN, now);
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
    const result = await scheduleRotationsForFilter({ organizationId: org.id, scheduledAt: at, reason: "catch up" }, ADMIN, now);
    expect(result).toEqual({ scheduled: 1, tooLate: 1, tooLateMustStartBy: LATEST });
    expect(await prisma.rotation.findMany({ select: { keyId: true } })).toEqual([{ keyId: young.id }]);
    expect(old.id).not.toBe(young.id);
  });
});
