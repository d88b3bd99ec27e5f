import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { T0 } from "../../tests/support/fixtures";
import { authenticateStaff, MAX_FAILED_SIGN_INS, SignInLockedError } from "./sign-in";
import { createUsers, ensureFirstAdmin } from "./users";

useTestDatabase();
beforeEach(resetTestData);

const PASSWORD = "correct horse battery staple";
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe("staff sign-in", () => {
  it("accepts the right password, refuses a wrong one, and audits both without the password", async () => {
    await createUsers([{ email: "Lead@Example.com", role: "admin", password: PASSWORD }], "bootstrap", T0);
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
    await createUsers([{ email: "op@example.com", role: "operator", password: PASSWORD }], "bootstrap", T0);
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
      "bootstrap",
      T0,
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
});
