import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { T0 } from "./support/fixtures";
import {
  checkSession,
  endAllSessions,
  endOwnSession,
  listOpenSessions,
  signOutSession,
  startSession,
  SESSION_IDLE_SECONDS,
  SESSION_MAX_AGE_SECONDS,
} from "../lib/auth/sessions";
import { changeOwnPassword, changeUserRole, createUsers, inviteUser, setUserDisabled } from "../lib/auth/users";
import { authOptions } from "../lib/auth/options";
import { safeReturnPath } from "../lib/auth/redirect";
import type { JWT } from "next-auth/jwt";

useTestDatabase();
beforeEach(resetTestData);

const PASSWORD = "correct horse battery staple";
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

async function staff(role: "admin" | "operator" = "operator", email = `${role}@example.com`) {
  const [u] = await createUsers([{ email, role, password: PASSWORD }], { actor: "bootstrap", now: T0 });
  return u;
}

describe("sessions are rows: the cookie only names one", () => {
  it("a session works until it is signed out, and then no copy of its cookie works", async () => {
    const u = await staff();
    const sid = await startSession(u.id, "password", { userAgent: "Mozilla/5.0 Chrome/140", ipAddress: "203.0.113.9" }, at(0));
    expect(await checkSession(sid, at(1))).toMatchObject({ userId: u.id, role: "operator", signedInAt: at(0) });
    await signOutSession(sid, at(2));
    expect(await checkSession(sid, at(3))).toBeNull();
    const prisma = await testPrisma();
    const ended = await prisma.auditEvent.findMany({ where: { action: "auth.session_ended" } });
    expect(ended.map((e) => [e.actor, e.reason])).toEqual([[`user:${u.id}`, "signed out"]]);
  });

  it(`ends after ${SESSION_IDLE_SECONDS / 60} idle minutes, and use keeps it going only until its ${SESSION_MAX_AGE_SECONDS / 3600} h limit`, async () => {
    const u = await staff();
    const idle = await startSession(u.id, "password", {}, at(0));
    expect(await checkSession(idle, at(29))).not.toBeNull();
    expect(await checkSession(idle, at(29 + 30))).toBeNull(); // 30 minutes since it was last seen
    expect(await checkSession(idle, at(29 + 31))).toBeNull(); // and it stays ended

    const busy = await startSession(u.id, "password", {}, at(0));
    for (let m = 20; m < 8 * 60; m += 20) expect(await checkSession(busy, at(m)), `minute ${m}`).not.toBeNull();
    expect(await checkSession(busy, at(8 * 60))).toBeNull(); // absolute: no sliding past 8 h
    const prisma = await testPrisma();
    const reasons = (await prisma.userSession.findMany({ orderBy: { createdAt: "asc" } })).map((s) => s.endedReason).sort();
    expect(reasons).toEqual(["idle for 30 minutes", "reached its 8 h limit"]);
  });

  it("disabling a user ends their sessions, and enabling them again revives none", async () => {
    const admin = await staff("admin");
    const u = await staff();
    const sid = await startSession(u.id, "password", {}, at(0));
    await setUserDisabled({ userId: u.id, disabled: true }, { actor: `user:${admin.id}`, now: at(1) });
    expect(await checkSession(sid, at(2))).toBeNull();
    await setUserDisabled({ userId: u.id, disabled: false }, { actor: `user:${admin.id}`, now: at(3) });
    expect(await checkSession(sid, at(4))).toBeNull();
  });

  it("a role change ends the user's sessions; an admin's sign-out-everywhere ends all of them", async () => {
    const admin = await staff("admin");
    const u = await staff();
    const a = await startSession(u.id, "password", {}, at(0));
    await changeUserRole({ userId: u.id, role: "auditor" }, { actor: `user:${admin.id}`, now: at(1) });
    expect(await checkSession(a, at(2))).toBeNull();
    const b = await startSession(u.id, "password", {}, at(3));
    const c = await startSession(u.id, "password", {}, at(3));
    expect(await endAllSessions(u.id, `user:${admin.id}`, "signed out everywhere by an admin", at(4))).toBe(2);
    expect(await checkSession(b, at(5))).toBeNull();
    expect(await checkSession(c, at(5))).toBeNull();
  });

  it("a user lists their open sessions and ends one, but not someone else's", async () => {
    const u = await staff();
    const other = await staff("admin");
    const mine = await startSession(u.id, "password", { userAgent: "curl/8" }, at(0));
    const theirs = await startSession(other.id, "password", {}, at(0));
    expect((await listOpenSessions(u.id, at(1))).map((s) => s.id)).toEqual([mine]);
    await expect(endOwnSession(u.id, theirs, at(2))).rejects.toThrow("No such session");
    expect(await checkSession(theirs, at(2))).not.toBeNull();
    await endOwnSession(u.id, mine, at(2));
    expect(await listOpenSessions(u.id, at(3))).toEqual([]);
  });

  it("next-auth's jwt callback refuses a cookie whose session ended, and one with no session at all", async () => {
    const u = await staff();
    const jwt = authOptions.callbacks!.jwt!;
    const token = (await jwt({
      token: {},
      user: { id: u.id, email: u.email, role: "operator" },
      account: { provider: "credentials", type: "credentials", providerAccountId: u.id },
    } as never)) as JWT;
    expect(token.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(token).sort()).toEqual(["live", "sid"]); // nothing else is trusted from the cookie
    // A forged role in the cookie is replaced by the database's.
    const again = (await jwt({ token: { ...token, live: { ...token.live!, role: "admin" } } } as never)) as JWT;
    expect(again.live?.role).toBe("operator");
    await signOutSession(token.sid, new Date());
    await expect(jwt({ token } as never)).rejects.toThrow("session ended");
    await expect(jwt({ token: { live: token.live } } as never)).rejects.toThrow("session ended");
  });
});

describe("passwords", () => {
  it("an invited staff member must replace the one-time password; the new one must be hard to guess; other sessions end", async () => {
    const admin = await staff("admin");
    const { user, password } = await inviteUser({ email: "new@example.com", role: "operator" }, { actor: `user:${admin.id}`, now: at(0) });
    const prisma = await testPrisma();
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordChangeRequired).toBe(true);
    const here = await startSession(user.id, "password", {}, at(1));
    const elsewhere = await startSession(user.id, "password", {}, at(1));
    expect(await checkSession(here, at(2))).toMatchObject({ mustChangePassword: true });

    await expect(changeOwnPassword(user.id, { currentPassword: "not it", newPassword: "a much longer passphrase here" }, here, at(3))).rejects.toThrow(
      "is not your current password",
    );
    await expect(changeOwnPassword(user.id, { currentPassword: password!, newPassword: "short" }, here, at(3))).rejects.toThrow("at least 12 characters");
    await expect(changeOwnPassword(user.id, { currentPassword: password!, newPassword: "password1234" }, here, at(3))).rejects.toThrow("too easy to guess");
    await expect(changeOwnPassword(user.id, { currentPassword: password!, newPassword: "new@example.com1" }, here, at(3))).rejects.toThrow("too easy to guess");
    expect(await checkSession(elsewhere, at(3))).not.toBeNull(); // refusals changed nothing

    expect(await changeOwnPassword(user.id, { currentPassword: password!, newPassword: "violet tractor harbour 42" }, here, at(4))).toEqual({
      sessionsEnded: 1,
    });
    expect(await checkSession(here, at(5))).toMatchObject({ mustChangePassword: false });
    expect(await checkSession(elsewhere, at(5))).toBeNull();
    const actions = (await prisma.auditEvent.findMany({ where: { action: { startsWith: "user.password" } }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["user.password_change_failed", "user.password_changed"]);
    expect(JSON.stringify(await prisma.auditEvent.findMany(), (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain("violet tractor");
  });
});

describe("one safe-redirect helper", () => {
  it.each([
    "/\\evil.example",
    "/\tevil.example",
    "/%09/evil.example",
    "//evil.example",
    "/%2f/evil.example",
    "/%5cevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " /dashboard",
    "dashboard",
    "",
  ])("refuses %j", (raw) => {
    expect(safeReturnPath(raw, "/fallback")).toBe("/fallback");
  });
  it.each([
    ["/dashboard/keys?status=grace&org=abc", "/dashboard/keys?status=grace&org=abc"],
    ["/portal/keys/4f6c6c1e-0000-4000-8000-000000000000", "/portal/keys/4f6c6c1e-0000-4000-8000-000000000000"],
    ["/signin?callbackUrl=%2Fportal", "/signin?callbackUrl=%2Fportal"],
  ])("keeps %j", (raw, kept) => {
    expect(safeReturnPath(raw, "/fallback")).toBe(kept);
  });
  it("next-auth's redirect callback keeps the browser on this site", async () => {
    const redirect = authOptions.callbacks!.redirect!;
    const baseUrl = "http://127.0.0.1:3000";
    expect(await redirect({ url: "/\\evil.example", baseUrl })).toBe(`${baseUrl}/`);
    expect(await redirect({ url: "https://evil.example/x", baseUrl })).toBe(`${baseUrl}/`);
    expect(await redirect({ url: `${baseUrl}/portal`, baseUrl })).toBe(`${baseUrl}/portal`);
  });
});
