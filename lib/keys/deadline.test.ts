import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "../../tests/support/fixtures";
import { clearVerifyCache, verifyKey, type VerifyResult } from "./verify";
import { flushUsage } from "./usage";
import { emergencyRotate, rotateNow, scheduleRotation } from "../rotations/mutations";
import { advanceRotations } from "../rotations/advance";

useTestDatabase();
beforeEach(resetTestData);

/** The answer with nothing cached: what the database says now. */
async function fresh(secret: string, now: Date): Promise<VerifyResult> {
  clearVerifyCache();
  return verifyKey(secret, now);
}

async function carefulOrg() {
  const prisma = await testPrisma();
  const policy = await prisma.rotationPolicy.create({ data: { name: `Waits ${Math.random()}`, waitForSuccessorUse: true, gracePeriodHours: 24 } });
  const org = await makeOrg();
  await prisma.organization.update({ where: { id: org.id }, data: { policyId: policy.id } });
  return org;
}

/**
 * Walks a clock over `times`: at each moment verification is asked with no
 * cron having run since the last moment, then the cron runs, then
 * verification is asked again. The two answers must be the same, and the
 * key's status after the cron must say the same: verification applies the
 * cron's rule itself, so running the cron late (or never) changes nothing.
 */
async function expectAgreement(keyId: string, secret: string, times: Date[]) {
  const prisma = await testPrisma();
  const seen: string[] = [];
  for (const t of times) {
    const before = await fresh(secret, t);
    await advanceRotations(t);
    const after = await fresh(secret, t);
    const { status } = await prisma.apiKey.findUniqueOrThrow({ where: { id: keyId }, select: { status: true } });
    expect(after, `at ${t.toISOString()}`).toEqual(before);
    expect(status === "revoked", `status ${status} at ${t.toISOString()}`).toBe(!before.valid);
    seen.push(before.valid ? `deprecated until ${before.graceEndsAt}` : before.code);
  }
  return seen;
}

describe("the grace deadline at verify time (DOMAIN.md: Grace deadline)", () => {
  it("refuses an old key from its deadline on, with no cron having run", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    await rotateNow({ keyId: key.id, gracePeriodHours: 24, deliver: "response" }, { actor: ADMIN, now: T0 });
    expect(await fresh(secret, at(hours(24) - 1))).toMatchObject({ valid: true, deprecated: true, graceEndsAt: at(hours(24)).toISOString() });
    expect(await fresh(secret, at(hours(24)))).toEqual({ valid: false, code: "revoked" });
    expect(await fresh(secret, at(hours(24) + 600_000))).toEqual({ valid: false, code: "revoked" });
    const prisma = await testPrisma();
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("expiring"); // the cron never ran
  });

  it("a cached answer does not outlive the deadline", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    await rotateNow({ keyId: key.id, gracePeriodHours: 1, deliver: "response" }, { actor: ADMIN, now: T0 });
    clearVerifyCache();
    expect(await verifyKey(secret, at(hours(1) - 1000))).toMatchObject({ valid: true, deprecated: true });
    expect(await verifyKey(secret, at(hours(1)))).toEqual({ valid: false, code: "revoked" }); // same cache entry, later clock
  });

  it("a scheduled rotation the cron never started is in grace from its time and ends on time", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(10)), gracePeriodHours: 24 }, { actor: ADMIN, now: T0 });
    expect(await fresh(secret, at(hours(10) - 1))).toMatchObject({ valid: true, deprecated: false });
    expect(await fresh(secret, at(hours(11)))).toMatchObject({
      valid: true,
      deprecated: true,
      deprecatedAt: at(hours(10)).toISOString(),
      graceEndsAt: at(hours(34)).toISOString(),
    });
    expect(await fresh(secret, at(hours(34)))).toEqual({ valid: false, code: "revoked" });
  });

  it("agrees with the cron, run on time or late, for a scheduled rotation", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(10)), gracePeriodHours: 24 }, { actor: ADMIN, now: T0 });
    // The cron's first call comes 30 hours late: after the whole grace period.
    expect(await expectAgreement(key.id, secret, [at(hours(11)), at(hours(40)), at(hours(41))])).toEqual([
      `deprecated until ${at(hours(34)).toISOString()}`,
      "revoked",
      "revoked",
    ]);
  });

  it("extends once when policy waits for a successor never used, by the same rule as the cron, however late the cron", async () => {
    const org = await carefulOrg();
    for (const lateness of [0, hours(5), hours(30)]) {
      const { key, secret } = await makeKey(org.id);
      await rotateNow({ keyId: key.id, deliver: "portal" }, { actor: ADMIN, now: T0 });
      const times = [at(hours(23)), at(hours(24) + lateness), at(hours(47)), at(hours(48)), at(hours(49))];
      const seen = await expectAgreement(key.id, secret, times);
      expect(seen[0]).toBe(`deprecated until ${at(hours(24)).toISOString()}`);
      if (lateness < hours(24)) expect(seen[1]).toBe(`deprecated until ${at(hours(48)).toISOString()}`);
      else expect(seen[1]).toBe("revoked");
      expect(seen.slice(3)).toEqual(["revoked", "revoked"]);
      const prisma = await testPrisma();
      const rotation = await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id } });
      expect(rotation).toMatchObject({ state: "completed", deadlineExtended: true, graceEndsAt: at(hours(48)) });
    }
  });

  it("does not extend when the successor was used before the deadline, and never for an emergency", async () => {
    const org = await carefulOrg();
    const { key, secret } = await makeKey(org.id);
    const { successorSecret } = await rotateNow({ keyId: key.id, deliver: "response" }, { actor: ADMIN, now: T0 });
    expect(await verifyKey(successorSecret!, at(hours(2)))).toMatchObject({ valid: true });
    await flushUsage();
    expect(await expectAgreement(key.id, secret, [at(hours(23)), at(hours(24)), at(hours(25))])).toEqual([
      `deprecated until ${at(hours(24)).toISOString()}`,
      "revoked",
      "revoked",
    ]);

    const other = await makeKey(org.id);
    await rotateNow({ keyId: other.key.id, deliver: "portal" }, { actor: ADMIN, now: T0 });
    // A use of the successor after the deadline does not undo the extension the rule granted at the deadline.
    const late = await expectAgreement(other.key.id, other.secret, [at(hours(25))]);
    expect(late).toEqual([`deprecated until ${at(hours(48)).toISOString()}`]);
  });

  it("an emergency rotation is never extended", async () => {
    const org = await carefulOrg();
    const { key, secret } = await makeKey(org.id);
    await emergencyRotate({ keyId: key.id, gracePeriodHours: 4, reason: "leaked" }, { actor: ADMIN, now: T0 });
    expect(await expectAgreement(key.id, secret, [at(hours(3)), at(hours(4)), at(hours(5))])).toEqual([
      `deprecated until ${at(hours(4)).toISOString()}`,
      "revoked",
      "revoked",
    ]);
  });

  it("a cached old key learns of its successor's first use (the extension no longer applies)", async () => {
    const org = await carefulOrg();
    const { key, secret } = await makeKey(org.id);
    const { successorSecret } = await rotateNow({ keyId: key.id, deliver: "response" }, { actor: ADMIN, now: T0 });
    clearVerifyCache();
    // Cached while the successor is unused: past the deadline, the extension applies.
    expect(await verifyKey(secret, at(hours(24)))).toMatchObject({ valid: true, graceEndsAt: at(hours(48)).toISOString() });
    expect(await verifyKey(successorSecret!, at(hours(1)))).toMatchObject({ valid: true });
    await flushUsage(); // another instance's write would come through NOTIFY the same way
    let answer = await verifyKey(secret, at(hours(24)));
    for (let i = 0; answer.valid && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 10));
      answer = await verifyKey(secret, at(hours(24)));
    }
    expect(answer).toEqual({ valid: false, code: "revoked" });
  });
});
