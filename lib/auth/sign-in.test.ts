import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { T0 } from "../../tests/support/fixtures";
import { authenticateStaff, MAX_FAILED_SIGN_INS, MAX_SIGN_INS_PER_ADDRESS, SignInLockedError } from "./sign-in";
import { createUsers, ensureFirstAdmin } from "./users";

useTestDatabase();
beforeEach(resetTestData);

const PASSWORD = "correct horse battery staple";
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe("staff sign-in", () => {
  it("accepts the right password, refuses a wrong one, and audits both without the password", async () => {
    await createUsers([{ email: "Lead@Example.com", role: "admin", password: PASSWORD }], { actor: "bootstrap", now: T0 });
    expect(await authenticateStaff({ email: "lead@example.com", password: PASSWORD }, at(1))).toMatchObject({ email: "lead@example.com", role: "admin" });
    expect(await authenticateStaff({ email: "lead@example.com", password: "wrong password" }, at(2))).toBeNull();
    expect(await authenticateStaff({ email: "nobody@example.com", password: PASSWORD }, at(3))).toBeNull();
    const prisma = await testPrisma();
    const events = await prisma.auditEvent.findMany({ where: { action: { startsWith: "auth." } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.outcome])).toEqual([
      ["auth.signed_in", "success"],
      ["auth.sign_in_failed", "failure"],
      ["auth.sign_in_failed", "failure"],
    ]);
    expect(JSON.stringify(events, (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(PASSWORD);
    const user = await prisma.user.findUniqueOrThrow({ where: { email: "lead@example.com" }, omit: { passwordHash: false } });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(user.lastSignInAt).toEqual(at(1));
  });

  it(`locks an email out after ${MAX_FAILED_SIGN_INS} failures in 15 minutes, even with the right password, then lets it in again`, async () => {
    await createUsers([{ email: "op@example.com", role: "operator", password: PASSWORD }], { actor: "bootstrap", now: T0 });
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) expect(await authenticateStaff({ email: "op@example.com", password: `guess ${i}` }, at(i))).toBeNull();
    await expect(authenticateStaff({ email: "op@example.com", password: PASSWORD }, at(6))).rejects.toThrow(SignInLockedError);
    expect(await authenticateStaff({ email: "op@example.com", password: PASSWORD }, at(30))).toMatchObject({ role: "operator" });
  });

  it("refuses disabled accounts and customers (who sign in by email link)", async () => {
    const [disabled] = await createUsers(
      [
        { email: "gone@example.com", role: "operator", password: PASSWORD },
        { email: "cust@example.com", role: "customer", password: PASSWORD },
      ],
      { actor: "bootstrap", now: T0 },
    );
    const prisma = await testPrisma();
    await prisma.user.update({ where: { id: disabled.id }, data: { disabledAt: T0 } });
    expect(await authenticateStaff({ email: "gone@example.com", password: PASSWORD }, at(1))).toBeNull();
    expect(await authenticateStaff({ email: "cust@example.com", password: PASSWORD }, at(1))).toBeNull();
  });

  it("bad input is a clear error", async () => {
    await expect(authenticateStaff({ email: "not an email", password: "x" }, T0)).rejects.toThrow(/email: must be an email address/);
  });

  it("creates the first admin once, with a generated password unless one is given", async () => {
    const first = await ensureFirstAdmin(T0);
    expect(first).toMatchObject({ email: "admin@rekey.local", generated: true });
    expect(first!.password.length).toBeGreaterThanOrEqual(20);
    expect(await ensureFirstAdmin(T0)).toBeNull();
    expect(await authenticateStaff({ email: "admin@rekey.local", password: first!.password }, at(1))).toMatchObject({ role: "admin" });
  });

  it("counts attempts before checking the password: of 12 sent at once, 5 reach the check, and the lockout holds", async () => {
    await createUsers([{ email: "race@example.com", role: "operator", password: PASSWORD }], { actor: "bootstrap", now: T0 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => authenticateStaff({ email: "race@example.com", password: `guess ${i}` }, at(1), "198.51.100.7")),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(MAX_FAILED_SIGN_INS); // wrong password: null
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof SignInLockedError)).toHaveLength(12 - MAX_FAILED_SIGN_INS);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { action: "auth.sign_in_failed", outcome: "failure" } })).toBe(MAX_FAILED_SIGN_INS);
    await expect(authenticateStaff({ email: "race@example.com", password: PASSWORD }, at(2))).rejects.toThrow(/Too many sign-in attempts for this email/);
  });

  it("a success clears the email's count, so typos now and then never lock anyone out", async () => {
    await createUsers([{ email: "typo@example.com", role: "operator", password: PASSWORD }], { actor: "bootstrap", now: T0 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_FAILED_SIGN_INS - 1; i++) expect(await authenticateStaff({ email: "typo@example.com", password: "typo" }, at(round))).toBeNull();
      expect(await authenticateStaff({ email: "typo@example.com", password: PASSWORD }, at(round))).toMatchObject({ role: "operator" });
    }
  });

  it(`limits one address to ${MAX_SIGN_INS_PER_ADDRESS} attempts across accounts (password spraying), and not another address`, async () => {
    await createUsers([{ email: "spray@example.com", role: "operator", password: PASSWORD }], { actor: "bootstrap", now: T0 });
    for (let i = 0; i < MAX_SIGN_INS_PER_ADDRESS; i++)
      expect(await authenticateStaff({ email: `user${i}@example.com`, password: PASSWORD }, at(1), "203.0.113.5")).toBeNull();
    await expect(authenticateStaff({ email: "spray@example.com", password: PASSWORD }, at(1), "203.0.113.5")).rejects.toThrow(/from this address/);
    expect(await authenticateStaff({ email: "spray@example.com", password: PASSWORD }, at(1), "203.0.113.6")).toMatchObject({ role: "operator" });
  });
});
