import { beforeEach, describe, expect, it, vi } from "vitest";
import pino from "pino";
import { useTestDatabase, testPrisma } from "./support/database";
import { call } from "./support/http";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "./support/fixtures";
import type { Viewer } from "../lib/auth/viewer";
import { createRotation, scheduleRotation } from "../lib/rotations/mutations";
import { rerollSuccessor, revealSuccessor } from "../lib/rotations/successor";
import { selfRotate } from "../lib/rotations/self-rotate";
import { issueKey, revokeKey } from "../lib/keys/mutations";
import { updateContacts } from "../lib/organizations/mutations";
import { verifyKey } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { log } from "../lib/log";

// The portal's actions read the viewer from next-auth's cookie; here it is set directly.
let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const actions = await import("../app/(portal)/portal/actions");
const { POST: rotateRoute } = await import("../app/api/v1/keys/rotate/route");

useTestDatabase();

const customerOf = (orgId: string, signedInMinutesAgo = 1): Viewer => ({
  userId: `customer-${orgId}`,
  email: `dev@${orgId}.example`,
  role: "customer",
  orgId,
  signedInAt: new Date(Date.now() - signedInMinutesAgo * 60_000),
  sessionId: "00000000-0000-4000-8000-000000000000",
});
const staff = (role: Viewer["role"]): Viewer => ({
  userId: `${role}-1`,
  email: `${role}@example.com`,
  role,
  orgId: null,
  signedInAt: new Date(),
  sessionId: "00000000-0000-4000-8000-000000000000",
});

/** A key of a new organization in a manual rotation whose successor waits in the portal. */
async function keyInGrace(now = T0) {
  const org = await makeOrg();
  const { key, secret } = await makeKey(org.id);
  const { rotation } = await createRotation({ keyId: key.id, kind: "manual", deliver: "portal" }, { actor: ADMIN, now });
  return { org, key, secret, rotation };
}

describe("reveal and re-roll (DOMAIN.md: the full key exists only in the response that reveals it)", () => {
  it("mints the successor at reveal, shows it once, and a second reveal is refused", async () => {
    const { org, key, secret, rotation } = await keyInGrace();
    const prisma = await testPrisma();
    expect((await prisma.rotation.findUniqueOrThrow({ where: { id: rotation.id } })).successorId).toBeNull();

    const shown = await revealSuccessor({ rotationId: rotation.id }, { actor: "user:c1", now: at(hours(1)), scope: { organizationId: org.id } });
    expect(shown.secret).toMatch(/^rk_live_/);
    expect(await verifyKey(shown.secret, at(hours(1)))).toMatchObject({ valid: true, deprecated: false });
    expect(await verifyKey(secret, at(hours(1)))).toMatchObject({ valid: true, deprecated: true, successorPrefix: shown.successor.prefix });
    const successor = await prisma.apiKey.findUniqueOrThrow({ where: { id: shown.successor.id } });
    expect(successor).toMatchObject({ predecessorId: key.id, organizationId: org.id, scopes: key.scopes, rateLimit: key.rateLimit, status: "active" });

    await expect(revealSuccessor({ rotationId: rotation.id }, { actor: "user:c1", now: at(hours(2)), scope: { organizationId: org.id } })).rejects.toThrow(
      /already revealed and is never shown twice/,
    );
    expect(await prisma.apiKey.count({ where: { predecessorId: key.id } })).toBe(1);
    const issued = await prisma.auditEvent.findMany({ where: { rotationId: rotation.id, action: "key.created" } });
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ actor: "user:c1", keyFingerprint: shown.successor.prefix });
  });

  it("refuses another organization's rotation as not found, and a rotation not yet started or already over", async () => {
    const { rotation } = await keyInGrace();
    const other = await makeOrg();
    await expect(revealSuccessor({ rotationId: rotation.id }, { actor: "user:c2", now: at(hours(1)), scope: { organizationId: other.id } })).rejects.toThrow(
      "No such rotation.",
    );
    await expect(revealSuccessor({ rotationId: rotation.id }, { actor: "user:c2", now: at(hours(100)) })).rejects.toThrow(
      /grace period of this rotation ended/,
    );

    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const later = await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(48)) }, { actor: ADMIN, now: T0 });
    await expect(
      revealSuccessor({ rotationId: later.rotation.id }, { actor: "user:c3", now: at(hours(1)), scope: { organizationId: org.id } }),
    ).rejects.toThrow(/can be revealed from then on/);
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { id: { in: [rotation.id, later.rotation.id] }, successorId: { not: null } } })).toBe(0);
  });

  it("after an emergency rotation that revoked the old key at once, the customer still reveals its replacement, once", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const { rotation } = await createRotation({ keyId: key.id, kind: "emergency", gracePeriodHours: 0, reason: "leaked" }, { actor: ADMIN, now: T0 });
    expect(rotation).toMatchObject({ state: "completed", successorId: null });
    const shown = await revealSuccessor({ rotationId: rotation.id }, { actor: "user:c1", now: at(hours(30)), scope: { organizationId: org.id } });
    expect(await verifyKey(shown.secret, at(hours(30)))).toMatchObject({ valid: true });
    expect(await verifyKey(secret, at(hours(30)))).toEqual({ valid: false, code: "revoked" });
    await expect(revealSuccessor({ rotationId: rotation.id }, { actor: "user:c1", now: at(hours(31)), scope: { organizationId: org.id } })).rejects.toThrow(
      /already revealed/,
    );
    // A completed rotation with grace is over: nothing to reveal there.
    const other = await keyInGrace();
    const { advanceRotations } = await import("../lib/rotations/advance");
    await advanceRotations(at(hours(100)));
    await expect(
      revealSuccessor({ rotationId: other.rotation.id }, { actor: "user:c1", now: at(hours(101)), scope: { organizationId: other.org.id } }),
    ).rejects.toThrow(/rotation is completed/);
  });

  it("re-roll revokes the lost successor, mints a new one and keeps the deadline", async () => {
    const { org, secret, rotation } = await keyInGrace();
    await expect(rerollSuccessor({ rotationId: rotation.id }, { actor: "user:c1", now: at(hours(1)), scope: { organizationId: org.id } })).rejects.toThrow(
      /not been revealed yet/,
    );
    const first = await revealSuccessor({ rotationId: rotation.id }, { actor: "user:c1", now: at(hours(1)), scope: { organizationId: org.id } });
    const second = await rerollSuccessor(
      { rotationId: rotation.id, reason: "pasted into a chat" },
      { actor: "user:c1", now: at(hours(2)), scope: { organizationId: org.id } },
    );

    expect(second.revoked.prefix).toBe(first.successor.prefix);
    expect(second.secret).not.toBe(first.secret);
    expect(second.graceEndsAt).toEqual(rotation.graceEndsAt);
    expect(await verifyKey(first.secret, at(hours(2)))).toEqual({ valid: false, code: "revoked" });
    expect(await verifyKey(second.secret, at(hours(2)))).toMatchObject({ valid: true });
    expect(await verifyKey(secret, at(hours(2)))).toMatchObject({ valid: true, deprecated: true, successorPrefix: second.successor.prefix });
    const prisma = await testPrisma();
    const r = await prisma.rotation.findUniqueOrThrow({ where: { id: rotation.id } });
    expect(r).toMatchObject({ successorId: second.successor.id, state: "grace", graceEndsAt: rotation.graceEndsAt });
    const revoked = await prisma.auditEvent.findFirstOrThrow({ where: { action: "key.revoked", keyId: first.successor.id } });
    expect(revoked.reason).toBe("re-rolled: pasted into a chat");
  });
});

describe("self-rotation API (POST /api/v1/keys/rotate)", () => {
  it("rotates the calling key with the policy's grace and returns its successor once", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const now = at(hours(5));
    const { rotation, successorSecret } = await selfRotate(secret, now);
    expect(rotation).toMatchObject({ kind: "manual", state: "grace", deliver: "response", createdBy: `key:${key.prefix}`, gracePeriodHours: 72 });
    expect(rotation.graceEndsAt).toEqual(new Date(now.getTime() + hours(72)));
    expect(await verifyKey(successorSecret, now)).toMatchObject({ valid: true, deprecated: false });
    expect(await verifyKey(secret, now)).toMatchObject({ valid: true, deprecated: true });
    // Its successor was issued once: asking again is a conflict, and nothing new is minted.
    await expect(selfRotate(secret, at(hours(6)))).rejects.toMatchObject({ status: 409 });
    const prisma = await testPrisma();
    expect(await prisma.apiKey.count({ where: { predecessorId: key.id } })).toBe(1);
  });

  it("is refused for a key under emergency rotation, a revoked key, an unknown key and noise", async () => {
    const org = await makeOrg();
    const leaked = await makeKey(org.id);
    await createRotation({ keyId: leaked.key.id, kind: "emergency", reason: "leaked in a public repo" }, { actor: ADMIN, now: T0 });
    await expect(selfRotate(leaked.secret, at(hours(1)))).rejects.toMatchObject({ status: 403, message: expect.stringMatching(/emergency rotation/) });

    const gone = await makeKey(org.id);
    await revokeKey({ keyId: gone.key.id, reason: "customer left" }, { actor: ADMIN, now: T0 });
    await expect(selfRotate(gone.secret, at(hours(1)))).rejects.toMatchObject({ status: 401, message: expect.stringMatching(/revoked/) });

    const unknown = gone.secret.slice(0, 8) + (gone.secret[8] === "A" ? "B" : "A") + gone.secret.slice(9);
    await expect(selfRotate(unknown, at(hours(1)))).rejects.toMatchObject({ status: 401 });
    await expect(selfRotate("nonsense", at(hours(1)))).rejects.toMatchObject({ status: 401 });

    const prisma = await testPrisma();
    expect(await prisma.apiKey.count({ where: { predecessorId: { in: [leaked.key.id, gone.key.id] } } })).toBe(0);
  });

  it("supersedes a rotation that is only scheduled", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    // Scheduled by automation with its successor minted in advance: superseding it revokes that successor too.
    const planned = await scheduleRotation({ keyId: key.id, scheduledAt: at(hours(100)), deliver: "response" }, { actor: ADMIN, now: T0 });
    const { rotation } = await selfRotate(secret, at(hours(1)));
    const prisma = await testPrisma();
    expect(await prisma.rotation.findUniqueOrThrow({ where: { id: planned.rotation.id } })).toMatchObject({ state: "cancelled", openKeyId: null });
    expect(await verifyKey(planned.successorSecret!, at(hours(2)))).toEqual({ valid: false, code: "revoked" });
    expect(rotation.state).toBe("grace");
    const cancelled = await prisma.auditEvent.findFirstOrThrow({ where: { rotationId: planned.rotation.id, action: "rotation.cancelled" } });
    expect(cancelled).toMatchObject({ actor: `key:${key.prefix}`, reason: "superseded: the key rotated itself" });
  });

  it("answers over HTTP with 201, 409, 401 and, after three calls for one key in a minute, 429", async () => {
    const org = await makeOrg();
    const { secret } = await makeKey(org.id);
    const first = await call(rotateRoute, { token: secret, headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(first.status).toBe(201);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.json.successorKey).toMatch(/^rk_live_/);
    expect(first.json.rotation.state).toBe("grace");
    expect((await call(rotateRoute, { token: secret, headers: { "x-forwarded-for": "198.51.100.7" } })).status).toBe(409);
    expect((await call(rotateRoute, { token: null, headers: { "x-forwarded-for": "198.51.100.7" } })).status).toBe(401);
    expect((await call(rotateRoute, { token: secret, headers: { "x-forwarded-for": "198.51.100.7" } })).status).toBe(409);
    const limited = await call(rotateRoute, { token: secret, headers: { "x-forwarded-for": "198.51.100.7" } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.json.error.code).toBe("rate_limited");
  });
});

describe("customers manage keys and contacts only where allowed, only their own", () => {
  it("issues and revokes only when the policy lets customers, with scopes the organization holds", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id, { scopes: ["read:orders"], rateLimit: 250 });
    const scope = { organizationId: org.id };
    const input = { organizationId: org.id, environment: "test" as const, name: "worker", scopes: ["read:orders"] };
    await expect(issueKey(input, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({
      status: 403,
      message: expect.stringMatching(/does not let customers issue keys/),
    });
    await expect(revokeKey({ keyId: key.id, reason: "x" }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({ status: 403 });

    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: `Self-service ${org.id}`, customersManageKeys: true } });
    await prisma.organization.update({ where: { id: org.id }, data: { policyId: policy.id } });
    await expect(issueKey({ ...input, scopes: ["admin:everything"] }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({ field: "scopes" });
    const made = await issueKey(input, { actor: "user:c1", now: T0, scope });
    expect(made.key).toMatchObject({ organizationId: org.id, rateLimit: 250, scopes: ["read:orders"] });

    const other = await makeOrg();
    const theirs = await makeKey(other.id);
    await expect(revokeKey({ keyId: theirs.key.id, reason: "x" }, { actor: "user:c1", now: T0, scope })).rejects.toThrow("No such key.");
    await expect(issueKey({ ...input, organizationId: other.id }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({ status: 404 });
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: theirs.key.id } })).status).toBe("active");
    await revokeKey({ keyId: made.key.id, reason: "not needed" }, { actor: "user:c1", now: T0, scope });
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: made.key.id } })).status).toBe("revoked");
  });

  it("adds and removes contacts, keeps at least one, refuses duplicates and bad addresses, and audits each change", async () => {
    const org = await makeOrg(); // ops@example.com, security@example.com
    const scope = { organizationId: org.id };
    await updateContacts({ organizationId: org.id, add: "OnCall@Example.com" }, { actor: "user:c1", now: T0, scope });
    await expect(updateContacts({ organizationId: org.id, add: "oncall@example.com" }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({
      status: 409,
    });
    await expect(updateContacts({ organizationId: org.id, add: "not an email" }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({ field: "add" });
    await expect(updateContacts({ organizationId: org.id, timeZone: "Mars/Olympus" }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({
      field: "timeZone",
    });
    await updateContacts({ organizationId: org.id, remove: "ops@example.com" }, { actor: "user:c1", now: T0, scope });
    await updateContacts({ organizationId: org.id, remove: "security@example.com" }, { actor: "user:c1", now: T0, scope });
    await expect(updateContacts({ organizationId: org.id, remove: "oncall@example.com" }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({
      field: "remove",
    });
    const other = await makeOrg();
    await expect(updateContacts({ organizationId: other.id, add: "evil@example.com" }, { actor: "user:c1", now: T0, scope })).rejects.toMatchObject({
      status: 404,
    });

    const prisma = await testPrisma();
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).contactEmails).toEqual(["oncall@example.com"]);
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: other.id } })).contactEmails).not.toContain("evil@example.com");
    const events = await prisma.auditEvent.findMany({ where: { organizationId: org.id, action: "organization.contacts_changed" }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.reason)).toEqual(["added oncall@example.com", "removed ops@example.com", "removed security@example.com"]);
    expect(events[0].before).toMatchObject({ contactEmails: ["ops@example.com", "security@example.com"] });
  });
});

describe("portal server actions", () => {
  beforeEach(() => {
    viewer = null;
  });

  it("refuse visitors and staff, and another organization's key is not found", async () => {
    const { org, key, rotation } = await keyInGrace();
    for (const who of [null, staff("admin"), staff("operator"), staff("auditor")]) {
      viewer = who;
      expect(await actions.revealSuccessorAction({ rotationId: rotation.id })).toMatchObject({ ok: false, code: who ? "forbidden" : "unauthorized" });
      expect(await actions.rotateOwnKeyAction({ keyId: key.id })).toMatchObject({ ok: false });
      expect(await actions.updateContactsAction({ add: "x@example.com" })).toMatchObject({ ok: false });
    }
    const stranger = await makeOrg();
    viewer = customerOf(stranger.id);
    expect(await actions.revealSuccessorAction({ rotationId: rotation.id })).toMatchObject({ ok: false, code: "not_found" });
    expect(await actions.postponeOwnRotationAction({ rotationId: rotation.id })).toMatchObject({ ok: false, code: "not_found" });
    expect(await actions.revokeOwnKeyAction({ keyId: key.id, reason: "mine now" })).toMatchObject({ ok: false, code: "not_found" });
    const prisma = await testPrisma();
    expect((await prisma.rotation.findUniqueOrThrow({ where: { id: rotation.id } })).successorId).toBeNull();
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).contactEmails).not.toContain("x@example.com");
  });

  it("reveal needs a sign-in from the last 10 minutes", async () => {
    const { org, rotation } = await keyInGrace(new Date());
    viewer = customerOf(org.id, 11);
    expect(await actions.revealSuccessorAction({ rotationId: rotation.id })).toMatchObject({ ok: false, code: "reauthentication_required" });
    const prisma = await testPrisma();
    expect((await prisma.rotation.findUniqueOrThrow({ where: { id: rotation.id } })).successorId).toBeNull();
    viewer = customerOf(org.id, 2);
    const shown = await actions.revealSuccessorAction({ rotationId: rotation.id });
    expect(shown).toMatchObject({ ok: true, data: { secret: expect.stringMatching(/^rk_live_/) } });
    expect(await actions.revealSuccessorAction({ rotationId: rotation.id })).toMatchObject({ ok: false, code: "conflict" });
  });

  it("every action that can break a client or hand out a key needs the same recent sign-in: rotate now, revoke, create, re-roll", async () => {
    const org = await makeOrg();
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: `Self-serve ${org.id}`, customersManageKeys: true } });
    await prisma.organization.update({ where: { id: org.id }, data: { policyId: policy.id } });
    const { key } = await issueKey({ organizationId: org.id, environment: "live", name: "old sign-in", scopes: [] }, { actor: ADMIN, now: new Date() });
    viewer = customerOf(org.id, 11);
    const stale = { ok: false, code: "reauthentication_required" };
    expect(await actions.rotateOwnKeyAction({ keyId: key.id })).toMatchObject({ ...stale, error: expect.stringMatching(/sign in again to rotate a key/) });
    expect(await actions.revokeOwnKeyAction({ keyId: key.id, reason: "retired" })).toMatchObject({
      ...stale,
      error: expect.stringMatching(/sign in again to revoke a key/),
    });
    expect(await actions.issueOwnKeyAction({ environment: "live", name: "another", scopes: [] })).toMatchObject(stale);
    expect(await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toMatchObject({ status: "active" });
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(0);
    viewer = customerOf(org.id, 2);
    expect(await actions.revokeOwnKeyAction({ keyId: key.id, reason: "retired" })).toMatchObject({ ok: true });
  });

  it("let a customer postpone their own scheduled rotation within policy, and no further", async () => {
    const org = await makeOrg();
    const { key } = await issueKey({ organizationId: org.id, environment: "live", name: "fresh", scopes: [] }, { actor: ADMIN, now: new Date() }); // young: room to postpone
    const planned = await scheduleRotation({ keyId: key.id, scheduledAt: new Date(Date.now() + hours(24)) }, { actor: ADMIN, now: new Date() });
    viewer = customerOf(org.id);
    const first = await actions.postponeOwnRotationAction({ rotationId: planned.rotation.id, reason: "release freeze" });
    expect(first).toMatchObject({ ok: true, message: expect.stringMatching(/^Rotation postponed: it now starts/) });
    expect(await actions.postponeOwnRotationAction({ rotationId: planned.rotation.id })).toMatchObject({ ok: true });
    // The default policy allows two postponements.
    expect(await actions.postponeOwnRotationAction({ rotationId: planned.rotation.id })).toMatchObject({
      ok: false,
      code: "conflict",
      error: expect.stringMatching(/already postponed 2 time/),
    });
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { rotationId: planned.rotation.id, action: "rotation.postponed", actor: `user:customer-${org.id}` } })).toBe(
      2,
    );
  });

  it("let a customer rotate their own key now with the policy's grace, and reveal it", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    viewer = customerOf(org.id);
    expect(await actions.rotateOwnKeyAction({ keyId: key.id })).toMatchObject({ ok: true, message: expect.stringMatching(/^Rotation started/) });
    const prisma = await testPrisma();
    const rotation = await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id } });
    expect(rotation).toMatchObject({
      kind: "manual",
      state: "grace",
      deliver: "portal",
      gracePeriodHours: 72,
      successorId: null,
      createdBy: `user:customer-${org.id}`,
    });
    expect(await actions.revealSuccessorAction({ rotationId: rotation.id })).toMatchObject({ ok: true });
  });
});

describe("secrets in the portal's paths", () => {
  it("no full key reaches the database, the audit trail or the log after reveal, re-roll, self-rotation and a customer's new key", async () => {
    const lines: string[] = [];
    const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];
    const level = log.level;
    (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = { write: (line: string) => lines.push(line) };
    log.level = "trace";
    try {
      const secrets: string[] = [];
      const { org, secret, rotation } = await keyInGrace(new Date());
      secrets.push(secret);
      const prisma = await testPrisma();
      const policy = await prisma.rotationPolicy.create({ data: { name: `Open ${org.id}`, customersManageKeys: true } });
      await prisma.organization.update({ where: { id: org.id }, data: { policyId: policy.id } });
      viewer = customerOf(org.id);
      for (const result of [
        await actions.revealSuccessorAction({ rotationId: rotation.id }),
        await actions.rerollSuccessorAction({ rotationId: rotation.id }),
        await actions.issueOwnKeyAction({ environment: "test", name: "new", scopes: [] }),
      ]) {
        expect(result.ok).toBe(true);
        if (result.ok) secrets.push((result.data as { secret: string }).secret);
      }
      const self = await makeKey(org.id);
      secrets.push(self.secret);
      const res = await call(rotateRoute, { token: self.secret });
      secrets.push(res.json.successorKey);
      await call(rotateRoute, { token: self.secret }); // 409, logged or not
      for (const s of secrets) await verifyKey(s, new Date());
      await flushUsage();
      expect(secrets).toHaveLength(6);

      const tables = await prisma.$queryRaw<
        { table_name: string }[]
      >`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
      const everything = [lines.join("\n")];
      for (const { table_name } of tables) {
        const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${table_name}" t`);
        everything.push(...rows.map((r) => `${table_name}: ${r.row}`));
      }
      for (const text of everything) {
        expect(text).not.toMatch(/rk_(live|test)_[0-9A-Za-z]{49}/);
        for (const s of secrets) expect(text.includes(s.slice(8, 40)), "part of a key").toBe(false);
      }
    } finally {
      (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = stream;
      log.level = level;
    }
  });
});
