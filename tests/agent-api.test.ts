import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import { call } from "./support/http";
import { POST as rotateSelf } from "../app/api/v1/keys/rotate/route";
import { GET as standing } from "../app/api/v1/keys/self/route";
import { POST as report } from "../app/api/v1/keys/self/reports/route";
import { POST as createRotation } from "../app/api/v1/keys/[id]/rotations/route";
import { resolveClearedAlerts } from "../lib/alerts/conditions";
import { assignPolicy, createPolicy } from "../lib/policies/mutations";
import { advanceRotations } from "../lib/rotations/advance";
import { verifyKey } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { ADMIN, T0 } from "./support/fixtures";

useTestDatabase();

/** The routes the agent calls, as the key itself (every answer checked against the OpenAPI document by call()). */
const ask = (key: string) => call(standing, { method: "GET", token: key });
const tell = (key: string, body: unknown) => call(report, { token: key, body });

describe("a key's standing (GET /api/v1/keys/self)", () => {
  it("says wait until the policy's notice, rotate within it, and portal when only a person can get the successor", async () => {
    const org = await makeOrg();
    const fresh = await makeKey(org.id, { at: new Date() });
    const waiting = await ask(fresh.secret);
    expect(waiting.status).toBe(200);
    expect(waiting.json).toMatchObject({ due: false, action: "wait", rotation: null, policy: { maxAgeDays: 90, noticeDays: 7 } });
    expect(new Date(waiting.json.dueAt).getTime() - fresh.key.createdAt.getTime()).toBe(83 * 86_400_000);

    // Made on 2026-01-05: past its max age.
    const old = await makeKey(org.id);
    expect((await ask(old.secret)).json).toMatchObject({ due: true, action: "rotate", reason: expect.stringMatching(/reaches its max age of 90 days/) });

    // Under emergency rotation: it may be leaked, so it never obtains its successor itself.
    const leaked = await makeKey(org.id, { at: new Date() });
    expect((await call(createRotation, { params: { id: leaked.key.id }, body: { kind: "emergency", gracePeriodHours: 4, reason: "in a paste" } })).status).toBe(
      201,
    );
    expect((await ask(leaked.secret)).json).toMatchObject({ due: false, action: "portal", rotation: { kind: "emergency", state: "grace" } });

    // Unknown or revoked keys learn nothing.
    expect((await ask("rk_live_not-a-key")).status).toBe(401);
  });

  it("a rotation started with its successor for the portal gives it to the key once, if nobody revealed it; a second ask is reuse", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id, { at: new Date() });
    const started = await call(createRotation, { params: { id: key.id }, body: { kind: "manual", deliver: "portal", reason: "quarterly" } });
    expect(started.status).toBe(201);
    expect((await ask(secret)).json).toMatchObject({ action: "rotate", rotation: { state: "grace", successorIssued: false } });
    const obtained = await call(rotateSelf, { token: secret });
    expect(obtained.status).toBe(201);
    expect(obtained.json.rotation.id).toBe(started.json.id);
    const prisma = await testPrisma();
    const rotation = await prisma.rotation.findUniqueOrThrow({ where: { id: started.json.id } });
    expect(rotation.successorId).toBe(obtained.json.successor.id);
    expect(await prisma.auditEvent.findFirst({ where: { action: "key.created", keyId: rotation.successorId } })).toMatchObject({
      actor: `key:${key.prefix}`,
      reason: expect.stringMatching(/obtained by the key itself/),
    });
    // Issued now: standing says a person must act, and asking again is the reuse DOMAIN.md names.
    expect((await ask(secret)).json).toMatchObject({ action: "portal", rotation: { successorIssued: true } });
    expect((await call(rotateSelf, { token: secret })).status).toBe(409);
    expect(await prisma.alert.count({ where: { kind: "possible_compromise", rotationId: rotation.id } })).toBe(1);
    // The new key knows which rotation it came from.
    expect((await ask(obtained.json.successorKey)).json.successorOf).toMatchObject({ rotationId: rotation.id, keyPrefix: key.prefix });
  });
});

describe("the agent's delivery report (POST /api/v1/keys/self/reports)", () => {
  it("records a failure with the old key (an alert, an audit event) and a delivery with the new one; never a key", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id, { at: new Date() });
    const rotated = await call(rotateSelf, { token: secret });
    const newKey: string = rotated.json.successorKey;
    const prisma = await testPrisma();

    const failed = await tell(secret, {
      outcome: "failed",
      destinations: ["file:/etc/app/key", "exec:vault"],
      failedAt: "exec:vault",
      message: `vault said: permission denied for ${newKey}`,
    });
    expect(failed.status).toBe(201);
    expect(failed.json.message).toBe("vault said: permission denied for rk_live_…");
    const alert = await prisma.alert.findFirstOrThrow({ where: { kind: "agent_delivery_failed", keyId: key.id } });
    expect(alert.message).toMatch(/could not deliver its new key: it failed at exec:vault/);
    expect(await prisma.auditEvent.count({ where: { action: "rotation.delivery_failed", rotationId: rotated.json.rotation.id } })).toBe(1);

    const delivered = await tell(newKey, { outcome: "delivered", destinations: ["file:/etc/app/key", "exec:vault"] });
    expect(delivered.status).toBe(201);
    expect(delivered.json).toMatchObject({ rotationId: rotated.json.rotation.id, outcome: "delivered", failedAt: null });
    // The cron closes the alert: the agent delivered after all.
    expect(await resolveClearedAlerts(new Date())).toBeGreaterThanOrEqual(1);
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).status).toBe("resolved");
    const reports = await prisma.agentReport.findMany({ where: { rotationId: rotated.json.rotation.id }, orderBy: { reportedAt: "asc" } });
    expect(reports.map((r) => r.outcome)).toEqual(["failed", "delivered"]);
    expect(JSON.stringify(reports)).not.toContain(newKey.slice(8));
    const events = await prisma.auditEvent.findMany({ where: { rotationId: rotated.json.rotation.id }, select: { reason: true, before: true, after: true } });
    expect(JSON.stringify(events)).not.toContain(newKey.slice(8));
  });

  it("refuses bad input in words and changes nothing; a key with no rotation has nothing to report on", async () => {
    const org = await makeOrg();
    const { secret } = await makeKey(org.id, { at: new Date() });
    const prisma = await testPrisma();
    expect((await tell(secret, { outcome: "delivered", destinations: [] })).status).toBe(404);
    const rotated = await call(rotateSelf, { token: secret });
    const bad = await tell(secret, { outcome: "lost", destinations: [] });
    expect([bad.status, bad.json.error.message]).toEqual([400, "outcome: must be delivered or failed"]);
    const unnamed = await tell(secret, { outcome: "failed", destinations: ["exec:vault"] });
    expect(unnamed.json.error.message).toMatch(/^failedAt: name the destination/);
    expect(await prisma.agentReport.count({ where: { rotationId: rotated.json.rotation.id } })).toBe(0);
    expect((await tell("rk_live_nope", { outcome: "delivered", destinations: [] })).status).toBe(401);
  });
});

describe("a policy that ends the grace once the delivered key is in use (endGraceOnConfirmedUse)", () => {
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

  it("revokes the old key at the cron after the agent's report and the new key's use, not before either; off by default", async () => {
    const prisma = await testPrisma();
    const org = await makeOrg();
    const policy = await createPolicy({ name: `Confirmed ${org.id.slice(0, 6)}`, ...settings, endGraceOnConfirmedUse: true }, { actor: ADMIN, now: T0 });
    await assignPolicy({ organizationId: org.id, policyId: policy.id }, { actor: ADMIN, now: T0 });
    const other = await makeOrg();
    const keys = [await makeKey(org.id, { at: new Date() }), await makeKey(other.id, { at: new Date() })];
    const rotated: { successorKey: string; rotation: { id: string } }[] = [];
    for (const k of keys) rotated.push((await call(rotateSelf, { token: k.secret })).json);
    const state = async (i: number) => (await prisma.rotation.findUniqueOrThrow({ where: { id: rotated[i].rotation.id } })).state;

    // Used, but not reported delivered: the grace stands.
    for (const r of rotated) expect((await verifyKey(r.successorKey, new Date())).valid).toBe(true);
    await flushUsage();
    await advanceRotations(new Date());
    expect(await state(0)).toBe("grace");
    // Reported, and used since: the grace ends (for the policy that asks it only).
    for (const r of rotated) expect((await tell(r.successorKey, { outcome: "delivered", destinations: ["file:/etc/app/key"] })).status).toBe(201);
    await advanceRotations(new Date());
    expect(await state(0)).toBe("grace"); // the use before the report does not count
    await new Promise((r) => setTimeout(r, 5));
    for (const r of rotated) await verifyKey(r.successorKey, new Date());
    await flushUsage();
    const result = await advanceRotations(new Date());
    expect(result.endedEarly).toBeGreaterThanOrEqual(1);
    expect([await state(0), await state(1)]).toEqual(["completed", "grace"]);
    expect((await verifyKey(keys[0].secret, new Date())).valid).toBe(false);
    expect((await verifyKey(keys[1].secret, new Date())).valid).toBe(true);
    expect(await prisma.auditEvent.findFirst({ where: { action: "rotation.grace_ended", rotationId: rotated[0].rotation.id } })).toMatchObject({
      reason: expect.stringMatching(/the agent delivered the new key and it is in use/),
    });
  });
});
