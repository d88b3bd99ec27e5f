import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "../../tests/support/fixtures";
import { verifyKey } from "../keys/verify";
import { createRotation, cancelRotation, rollbackRotation, scheduleRotation, rotateNow, emergencyRotate } from "./mutations";
import { advanceRotations } from "./advance";
import { ConflictError, ValidationError } from "../errors";

useTestDatabase();
beforeEach(resetTestData);

describe("rotations (DOMAIN.md: Rotation)", () => {
  it("both keys verify during grace, only the new one after, and the old one answers deprecated", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const { rotation, successorSecret } = await rotateNow({ keyId: key.id, gracePeriodHours: 72, deliver: "response" }, { actor: ADMIN, now: at(hours(1)) });
    expect(rotation.state).toBe("grace");
    expect(successorSecret).toMatch(/^rk_live_/);

    const old = await verifyKey(secret, at(hours(2)));
    expect(old).toMatchObject({ valid: true, deprecated: true, keyId: key.id, successorPrefix: rotation.successor!.prefix });
    expect(old.valid && old.graceEndsAt).toBe(at(hours(73)).toISOString());
    expect(await verifyKey(successorSecret!, at(hours(2)))).toMatchObject({ valid: true, deprecated: false });

    // Not yet due: nothing moves.
    expect(await advanceRotations(at(hours(72)))).toMatchObject({ started: 0, completed: 0 });
    expect((await verifyKey(secret, at(hours(72)))).valid).toBe(true);

    expect(await advanceRotations(at(hours(73)))).toMatchObject({ started: 0, completed: 1 });
    expect(await verifyKey(secret, at(hours(74)))).toEqual({ valid: false, code: "revoked" });
    expect(await verifyKey(successorSecret!, at(hours(74)))).toMatchObject({ valid: true, deprecated: false });
    const prisma = await testPrisma();
    expect((await prisma.rotation.findUniqueOrThrow({ where: { id: rotation.id } })).state).toBe("completed");
  });

  it("the successor keeps the old key's organization, scopes, rate limit and environment", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id, { scopes: ["read:invoices"], rateLimit: 42, environment: "test" });
    const { rotation } = await rotateNow({ keyId: key.id, deliver: "response" }, { actor: ADMIN, now: at(1000) });
    const prisma = await testPrisma();
    const successor = await prisma.apiKey.findUniqueOrThrow({ where: { id: rotation.successorId! } });
    expect(successor).toMatchObject({
      organizationId: org.id,
      scopes: ["read:invoices"],
      rateLimit: 42,
      environment: "test",
      predecessorId: key.id,
      status: "active",
    });
    expect(successor.prefix.startsWith("rk_test_")).toBe(true);
  });

  it("a scheduled rotation starts at its time, with the policy's grace by default", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const when = at(hours(24));
    const { rotation } = await scheduleRotation({ keyId: key.id, scheduledAt: when, reason: "quarterly" }, { actor: ADMIN, now: T0 });
    expect(rotation).toMatchObject({ state: "scheduled", gracePeriodHours: 72, successorId: null });
    expect(await verifyKey(secret, at(hours(1)))).toMatchObject({ valid: true, deprecated: false });
    expect(await advanceRotations(at(hours(23)))).toMatchObject({ started: 0, completed: 0 });
    expect(await advanceRotations(at(hours(24)))).toMatchObject({ started: 1, completed: 0 });
    expect(await verifyKey(secret, at(hours(25)))).toMatchObject({
      valid: true,
      deprecated: true,
      successorPrefix: null,
      graceEndsAt: at(hours(96)).toISOString(),
    });
    expect(await advanceRotations(at(hours(96)))).toMatchObject({ started: 0, completed: 1 });
    expect(await verifyKey(secret, at(hours(97)))).toEqual({ valid: false, code: "revoked" });
  });

  it("a scheduled time in the past is refused and changes nothing", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await expect(scheduleRotation({ keyId: key.id, scheduledAt: at(-1000) }, { actor: ADMIN, now: T0 })).rejects.toThrow(ValidationError);
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(0);
  });

  it("emergency rotation needs a reason, and zero grace revokes the old key at once", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    await expect(emergencyRotate({ keyId: key.id, gracePeriodHours: 0 }, { actor: ADMIN, now: at(10) })).rejects.toThrow(/reason: is required/);
    const { rotation } = await emergencyRotate({ keyId: key.id, gracePeriodHours: 0, reason: "leaked in a public repo" }, { actor: ADMIN, now: at(20) });
    expect(rotation.state).toBe("completed");
    expect(await verifyKey(secret, at(21))).toEqual({ valid: false, code: "revoked" });
    const prisma = await testPrisma();
    const notes = await prisma.notification.findMany({ where: { rotationId: rotation.id } });
    expect(new Set(notes.map((n) => n.kind))).toEqual(new Set(["emergency_rotation", "key_revoked"]));
  });

  it("emergency rotation defaults to the policy's short grace", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const { rotation } = await emergencyRotate({ keyId: key.id, reason: "suspicious traffic" }, { actor: ADMIN, now: T0 });
    expect(rotation).toMatchObject({ state: "grace", gracePeriodHours: 4 });
    expect(rotation.graceEndsAt).toEqual(at(hours(4)));
  });

  it("zero grace is only for emergencies", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await expect(rotateNow({ keyId: key.id, gracePeriodHours: 0 }, { actor: ADMIN, now: T0 })).rejects.toThrow(/gracePeriodHours/);
  });

  it("rollback during grace restores the old key and revokes the successor", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const { rotation, successorSecret } = await rotateNow({ keyId: key.id, deliver: "response" }, { actor: ADMIN, now: T0 });
    const rolled = await rollbackRotation({ rotationId: rotation.id, reason: "client cannot reload config" }, { actor: ADMIN, now: at(hours(1)) });
    expect(rolled.state).toBe("rolled_back");
    expect(await verifyKey(secret, at(hours(2)))).toMatchObject({ valid: true, deprecated: false });
    expect(await verifyKey(successorSecret!, at(hours(2)))).toEqual({ valid: false, code: "revoked" });
    // The grace deadline no longer applies.
    await advanceRotations(at(hours(100)));
    expect(await verifyKey(secret, at(hours(101)))).toMatchObject({ valid: true });
    // And the key can be rotated again.
    await expect(rotateNow({ keyId: key.id }, { actor: ADMIN, now: at(hours(102)) })).resolves.toBeTruthy();
  });

  it("cancel works only before grace; rollback only during grace", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const { rotation } = await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(5)) }, { actor: ADMIN, now: T0 });
    await expect(rollbackRotation({ rotationId: rotation.id }, { actor: ADMIN, now: at(1) })).rejects.toThrow(ConflictError);
    expect((await cancelRotation({ rotationId: rotation.id, reason: "not now" }, { actor: ADMIN, now: at(2) })).state).toBe("cancelled");
    await expect(cancelRotation({ rotationId: rotation.id }, { actor: ADMIN, now: at(3) })).rejects.toThrow(ConflictError);
    expect(await advanceRotations(at(hours(6)))).toMatchObject({ started: 0, completed: 0 });

    const { rotation: live } = await rotateNow({ keyId: key.id }, { actor: ADMIN, now: at(hours(7)) });
    await expect(cancelRotation({ rotationId: live.id }, { actor: ADMIN, now: at(hours(8)) })).rejects.toThrow(/only a scheduled rotation can be cancelled/);
  });

  it("20 concurrent rotate calls on one key make exactly one rotation; the others get a conflict", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => createRotation({ keyId: key.id, kind: "manual", reason: `call ${i}` }, { actor: ADMIN, now: at(i + 1) })),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed).toHaveLength(19);
    for (const f of failed) expect(f.reason).toBeInstanceOf(ConflictError);
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(1);
    expect(await prisma.auditEvent.count({ where: { keyId: key.id, action: "rotation.started" } })).toBe(1);
  });

  it("the database itself refuses a second open rotation for a key", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await rotateNow({ keyId: key.id }, { actor: ADMIN, now: T0 });
    const prisma = await testPrisma();
    await expect(
      prisma.rotation.create({
        data: { keyId: key.id, openKeyId: key.id, kind: "manual", state: "grace", gracePeriodHours: 1, scheduledAt: T0, createdBy: ADMIN },
      }),
    ).rejects.toThrow();
  });

  it("a failure half-way leaves no rotation, no key change and no audit event", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const prisma = await testPrisma();
    const auditBefore = await prisma.auditEvent.count();
    // The outbox write is the last step of a rotation: make it fail.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION fail_outbox() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe(`CREATE TRIGGER fail_outbox BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION fail_outbox()`);
    try {
      await expect(rotateNow({ keyId: key.id, deliver: "response" }, { actor: ADMIN, now: at(5) })).rejects.toThrow();
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER fail_outbox ON notifications`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION fail_outbox()`);
    }
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(0);
    expect(await prisma.apiKey.count({ where: { predecessorId: key.id } })).toBe(0);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("active");
    expect(await prisma.auditEvent.count()).toBe(auditBefore);
    expect(await verifyKey(secret, at(6))).toMatchObject({ valid: true, deprecated: false });
  });

  it("a revoked key cannot be rotated", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await emergencyRotate({ keyId: key.id, gracePeriodHours: 0, reason: "leak" }, { actor: ADMIN, now: T0 });
    await expect(rotateNow({ keyId: key.id }, { actor: ADMIN, now: at(1) })).rejects.toThrow(/revoked; only an active key/);
  });

  it("advance moves many due rotations in one call", async () => {
    const org = await makeOrg();
    const keys = await Promise.all(Array.from({ length: 30 }, () => makeKey(org.id)));
    for (const { key } of keys) await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(1)), gracePeriodHours: 2 }, { actor: ADMIN, now: T0 });
    expect(await advanceRotations(at(hours(1)))).toMatchObject({ started: 30, completed: 0 });
    expect(await advanceRotations(at(hours(3)))).toMatchObject({ started: 0, completed: 30 });
    const prisma = await testPrisma();
    expect(await prisma.apiKey.count({ where: { id: { in: keys.map((k) => k.key.id) }, status: "revoked" } })).toBe(30);
    expect(await prisma.notification.count({ where: { kind: "key_revoked", organizationId: org.id } })).toBe(60);
  });

  it("two concurrent advance calls move each rotation once", async () => {
    const org = await makeOrg();
    const keys = await Promise.all(Array.from({ length: 10 }, () => makeKey(org.id)));
    for (const { key } of keys) await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(1)) }, { actor: ADMIN, now: T0 });
    const [a, b] = await Promise.all([advanceRotations(at(hours(2))), advanceRotations(at(hours(2)))]);
    expect(a.started + b.started).toBe(10);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { action: "rotation.started", organizationId: org.id, actor: "system:cron" } })).toBe(10);
  });
});
