import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { ADMIN, at, hours, makeKey, makeOrg } from "./support/fixtures";
import { verifyKey } from "../lib/keys/verify";
import { emergencyRotate, scheduleRotation } from "../lib/rotations/mutations";
import { selfRotate } from "../lib/rotations/self-rotate";
import { ConflictError } from "../lib/errors";

useTestDatabase();
beforeEach(resetTestData);

// Issue 12, item 8: whoever holds a leaked key must not be able to keep staff from revoking it.
describe("an emergency always wins", () => {
  it("supersedes a scheduled rotation", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const { rotation: scheduled } = await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(48)) }, { actor: ADMIN, now: at(hours(1)) });
    const { rotation } = await emergencyRotate({ keyId: key.id, gracePeriodHours: 0, reason: "leaked in a paste" }, { actor: ADMIN, now: at(hours(2)) });
    expect(rotation).toMatchObject({ kind: "emergency", state: "completed" });
    const prisma = await testPrisma();
    expect(await prisma.rotation.findUniqueOrThrow({ where: { id: scheduled.id } })).toMatchObject({ state: "cancelled", openKeyId: null });
    expect(await verifyKey(secret, at(hours(2)))).toEqual({ valid: false, code: "revoked" });
  });

  it("after the leaked key self-rotated first: its successor and everything minted from it are revoked, and the customer's replacement waits in the portal", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    // The attacker rotates the leaked key, then rotates the successor they got.
    const first = await selfRotate(secret, at(hours(1)));
    const second = await selfRotate(first.successorSecret, at(hours(2)));
    expect((await verifyKey(second.successorSecret, at(hours(2)))).valid).toBe(true);

    const { rotation } = await emergencyRotate({ keyId: key.id, gracePeriodHours: 0, reason: "found on GitHub" }, { actor: ADMIN, now: at(hours(3)) });
    expect(rotation).toMatchObject({ kind: "emergency", state: "completed", deliver: "portal" });
    for (const s of [secret, first.successorSecret, second.successorSecret])
      expect(await verifyKey(s, at(hours(3)))).toEqual({ valid: false, code: "revoked" });
    const prisma = await testPrisma();
    expect((await prisma.rotation.findUniqueOrThrow({ where: { id: first.rotation.id } })).state).toBe("rolled_back");
    expect((await prisma.rotation.findUniqueOrThrow({ where: { id: second.rotation.id } })).state).toBe("rolled_back");
    const revoked = await prisma.auditEvent.findMany({ where: { action: "key.revoked", at: at(hours(3)) }, select: { keyId: true, reason: true } });
    expect(new Set(revoked.map((e) => e.keyId))).toEqual(new Set([key.id, first.rotation.successorId, second.rotation.successorId]));
    // The customer's replacement: minted at reveal in the portal, for the emergency rotation.
    expect(await prisma.rotation.findMany({ where: { keyId: key.id, kind: "emergency" } })).toHaveLength(1);
  });

  it("wins a race with a self-rotation of the same key, whichever lands first", async () => {
    for (let round = 0; round < 5; round++) {
      const org = await makeOrg();
      const { key, secret } = await makeKey(org.id);
      const [self, emergency] = await Promise.allSettled([
        selfRotate(secret, at(hours(1))),
        emergencyRotate({ keyId: key.id, gracePeriodHours: 0, reason: "leak" }, { actor: ADMIN, now: at(hours(1)) }),
      ]);
      expect(emergency.status, `round ${round}`).toBe("fulfilled");
      expect(await verifyKey(secret, at(hours(1)))).toEqual({ valid: false, code: "revoked" });
      if (self.status === "fulfilled") expect(await verifyKey(self.value.successorSecret, at(hours(1)))).toEqual({ valid: false, code: "revoked" });
      else expect(self.reason).toBeInstanceOf(Error); // it lost: refused, with nothing issued
    }
  });

  it("a second self-rotation during grace is refused and raises a possible-compromise alert, once", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const first = await selfRotate(secret, at(hours(1)));
    const prisma = await testPrisma();
    const before = await prisma.apiKey.count();
    await expect(selfRotate(secret, at(hours(2)))).rejects.toThrow(ConflictError);
    await expect(selfRotate(secret, at(hours(3)))).rejects.toThrow(ConflictError);
    expect(await prisma.apiKey.count()).toBe(before); // nothing issued
    const alerts = await prisma.alert.findMany({ where: { kind: "possible_compromise" } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: "critical", keyId: key.id, rotationId: first.rotation.id, status: "open" });
    expect(alerts[0].message).not.toContain(secret);
    expect(await prisma.auditEvent.count({ where: { action: "alert.raised", actor: `key:${key.prefix}` } })).toBe(1);
  });

  it("with the policy's emergencyOnReuse, that second self-rotation emergency-rotates the key and revokes the successor already issued", async () => {
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: "Reuse revokes", emergencyOnReuse: true, emergencyGraceHours: 0 } });
    const org = await prisma.organization.create({ data: { name: "Careful Co", policyId: policy.id, contactEmails: ["sec@careful.example"] } });
    const { key, secret } = await makeKey(org.id);
    const first = await selfRotate(secret, at(hours(1)));
    await expect(selfRotate(secret, at(hours(2)))).rejects.toThrow(/emergency-rotated/);
    expect(await verifyKey(secret, at(hours(2)))).toEqual({ valid: false, code: "revoked" });
    expect(await verifyKey(first.successorSecret, at(hours(2)))).toEqual({ valid: false, code: "revoked" });
    const emergency = await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id, kind: "emergency" } });
    expect(emergency).toMatchObject({ createdBy: "system:policy", deliver: "portal", state: "completed" });
    expect(await prisma.alert.count({ where: { kind: "possible_compromise", keyId: key.id } })).toBe(1);
  });
});
