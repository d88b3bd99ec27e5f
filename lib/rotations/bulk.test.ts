import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { ADMIN } from "../../tests/support/fixtures";
import { createOrganization } from "../organizations/mutations";
import { issueKey } from "../keys/mutations";
import { rotateNow } from "./mutations";
import { scheduleRotationsForFilter } from "./bulk";
import { advanceRotations } from "./advance";

useTestDatabase();
beforeEach(resetTestData);

const DAY = 86_400_000;
const NOW = new Date("2026-06-30T12:00:00Z");

async function keyAged(organizationId: string, age: number) {
  const { key } = await issueKey({ organizationId, environment: "live", name: `aged ${age}` }, { actor: ADMIN, now: NOW });
  const prisma = await testPrisma();
  await prisma.apiKey.update({ where: { id: key.id }, data: { createdAt: new Date(NOW.getTime() - age * DAY) } });
  return key;
}

describe("bulk scheduling", () => {
  it("schedules every overdue key without an open rotation, each with its own policy's grace, audited and noticed", async () => {
    const prisma = await testPrisma();
    const strict = await prisma.rotationPolicy.create({ data: { name: "Bulk strict", maxAgeDays: 30, gracePeriodHours: 24 } });
    const plain = await createOrganization({ name: "Bulk plain", contactEmails: ["ops@plain.example"] }, { actor: ADMIN, now: NOW });
    const tight = await createOrganization({ name: "Bulk tight", policyId: strict.id, contactEmails: ["sec@tight.example"] }, { actor: ADMIN, now: NOW });
    const overduePlain = await keyAged(plain.id, 100);
    const overdueTight = await keyAged(tight.id, 40);
    const busy = await keyAged(plain.id, 120);
    await rotateNow({ keyId: busy.id }, { actor: ADMIN, now: NOW }); // already rotating: skipped
    await keyAged(plain.id, 10); // within policy: not matched
    await keyAged(tight.id, 20); // within policy: not matched

    const at = new Date(NOW.getTime() + 2 * DAY);
    expect(await scheduleRotationsForFilter({ overdue: true, scheduledAt: at, reason: "catch up on overdue keys" }, { actor: ADMIN, now: NOW })).toEqual({
      scheduled: 2,
    });
    const rotations = await prisma.rotation.findMany({ where: { state: "scheduled" }, orderBy: { gracePeriodHours: "asc" } });
    expect(rotations.map((r) => [r.keyId, r.gracePeriodHours, r.graceEndsAt?.getTime()])).toEqual([
      [overdueTight.id, 24, at.getTime() + 24 * 3_600_000],
      [overduePlain.id, 72, at.getTime() + 72 * 3_600_000],
    ]);
    expect(await prisma.auditEvent.count({ where: { action: "rotation.scheduled", reason: "catch up on overdue keys" } })).toBe(2);
    expect(await prisma.notification.count({ where: { kind: "rotation_notice" } })).toBe(2);

    // Again: nothing left to schedule. And at the time, they start like any scheduled rotation.
    expect(await scheduleRotationsForFilter({ overdue: true, scheduledAt: at, reason: "again" }, { actor: ADMIN, now: NOW })).toEqual({ scheduled: 0 });
    expect((await advanceRotations(at)).started).toBe(2);
  });

  it("narrows by organization, and refuses a time in the past without changing anything", async () => {
    const a = await createOrganization({ name: "Bulk A" }, { actor: ADMIN, now: NOW });
    const b = await createOrganization({ name: "Bulk B" }, { actor: ADMIN, now: NOW });
    await keyAged(a.id, 100);
    await keyAged(b.id, 100);
    await expect(
      scheduleRotationsForFilter({ overdue: true, scheduledAt: new Date(NOW.getTime() - 1), reason: "late" }, { actor: ADMIN, now: NOW }),
    ).rejects.toThrow(/^scheduledAt: must be in the future/);
    await expect(
      scheduleRotationsForFilter({ overdue: true, scheduledAt: new Date(NOW.getTime() + DAY), reason: "" }, { actor: ADMIN, now: NOW }),
    ).rejects.toThrow(/^reason: is required/);
    const prisma = await testPrisma();
    expect(await prisma.rotation.count()).toBe(0);
    expect(
      await scheduleRotationsForFilter({ organizationId: a.id, scheduledAt: new Date(NOW.getTime() + DAY), reason: "only A" }, { actor: ADMIN, now: NOW }),
    ).toEqual({
      scheduled: 1,
    });
  });
});
