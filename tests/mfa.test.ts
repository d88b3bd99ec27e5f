import { beforeEach, describe, expect, it } from "vitest";
import { Secret, TOTP } from "otpauth";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { T0 } from "./support/fixtures";
import { createUsers } from "../lib/auth/users";
import { authenticateStaff, MAX_FAILED_SIGN_INS, SecondFactorRequiredError, SignInLockedError, WrongSecondFactorError } from "../lib/auth/sign-in";
import {
  confirmMfaEnrolment,
  disableOwnMfa,
  getMfaStatus,
  regenerateRecoveryCodes,
  resetUserMfa,
  RECOVERY_CODE_COUNT,
  setStaffMfaRequired,
  startMfaEnrolment,
} from "../lib/auth/mfa";
import { checkSession, startSession } from "../lib/auth/sessions";

useTestDatabase();
beforeEach(resetTestData);

const PASSWORD = "correct horse battery staple";
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
/** The code an authenticator app shows at `when`, computed with the same library, as a user's phone would. */
const codeAt = (secret: string, when: Date) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: when.getTime() });

async function staff(role: "admin" | "operator" | "auditor" = "operator", email = `${role}@example.com`) {
  const [u] = await createUsers([{ email, role, password: PASSWORD }], { actor: "bootstrap", now: T0 });
  return u;
}

/** Enrols a user at `when`; returns their seed and recovery codes. */
async function enrol(userId: string, when = at(0), sessionId: string | null = null) {
  const { secret, uri, qrCode } = await startMfaEnrolment(userId, { currentPassword: PASSWORD }, when);
  const { recoveryCodes } = await confirmMfaEnrolment(userId, { code: codeAt(secret, when) }, sessionId, when);
  return { secret, uri, qrCode, recoveryCodes };
}

/** Every row of every table as text, for "never stored/audited" checks. */
async function everyRow(): Promise<string[]> {
  const prisma = await testPrisma();
  const tables = await prisma.$queryRaw<
    { table_name: string }[]
  >`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const rows: string[] = [];
  for (const { table_name } of tables)
    rows.push(...(await prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${table_name}" t`)).map((r) => `${table_name}: ${r.row}`));
  return rows;
}

describe("enrolment", () => {
  it("needs the password, shows a QR code and the seed, is confirmed by a code, and gives 10 recovery codes once; audited without any secret", async () => {
    const u = await staff();
    await expect(startMfaEnrolment(u.id, { currentPassword: "not my password" }, at(0))).rejects.toThrow(/currentPassword: is not your current password/);
    const prisma = await testPrisma();
    expect((await prisma.user.findUniqueOrThrow({ where: { id: u.id }, omit: { totpSecret: false } })).totpSecret).toBeNull();

    const { secret, uri, qrCode } = await startMfaEnrolment(u.id, { currentPassword: PASSWORD }, at(0));
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 20 bytes, base32
    expect(uri).toMatch(/^otpauth:\/\/totp\/rekey:operator%40example\.com\?issuer=rekey&secret=[A-Z2-7]+&algorithm=SHA1&digits=6&period=30$/);
    expect(qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qrCode.split(",")[1], "base64").toString()).toContain("<svg");
    // Not yet on: the seed signs nobody in until a code confirms it.
    expect(await getMfaStatus(u.id)).toMatchObject({ enabledAt: null });
    expect(await authenticateStaff({ email: u.email, password: PASSWORD }, at(1))).toMatchObject({ id: u.id, method: "password" });

    await expect(confirmMfaEnrolment(u.id, { code: "12345" }, null, at(5))).rejects.toThrow(/code: must be the 6 digits/);
    const wrong = codeAt(secret, at(5)) === "000000" ? "111111" : "000000";
    await expect(confirmMfaEnrolment(u.id, { code: wrong }, null, at(5))).rejects.toThrow(/code: is not the current code/);
    const { recoveryCodes } = await confirmMfaEnrolment(u.id, { code: codeAt(secret, at(5)) }, null, at(5));
    expect(recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(recoveryCodes).size).toBe(RECOVERY_CODE_COUNT);
    for (const c of recoveryCodes) expect(c).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
    expect(await getMfaStatus(u.id)).toMatchObject({ enabledAt: at(5), recoveryCodesLeft: 10, mayDisable: true });
    await expect(startMfaEnrolment(u.id, { currentPassword: PASSWORD }, at(6))).rejects.toThrow(/already on/);

    // At rest: the seed sealed (not in base32, not in the clear), the recovery codes only as hashes.
    const stored = await prisma.user.findUniqueOrThrow({ where: { id: u.id }, omit: { totpSecret: false } });
    expect(stored.totpSecret).toMatch(/^v2\.[0-9a-f]{8}\.[\w-]+\.[\w-]+\.[\w-]+$/); // the data secret's id, iv, ciphertext, tag
    const rows = (await everyRow()).join("\n");
    expect(rows).not.toContain(secret);
    expect(rows.toLowerCase()).not.toContain(secret.toLowerCase());
    for (const c of recoveryCodes) {
      expect(rows).not.toContain(c);
      expect(rows).not.toContain(c.replace("-", ""));
    }
    const events = await prisma.auditEvent.findMany({ where: { action: { startsWith: "auth.mfa" } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.action)).toEqual(["auth.mfa_enrolment_started", "auth.mfa_enabled"]);
  });

  it("confirming ends the user's other sessions (signed in with a password alone), not this one", async () => {
    const u = await staff();
    const here = await startSession(u.id, "password", {}, at(0));
    const elsewhere = await startSession(u.id, "password", {}, at(0));
    const { secret } = await startMfaEnrolment(u.id, { currentPassword: PASSWORD }, at(1));
    await confirmMfaEnrolment(u.id, { code: codeAt(secret, at(2)) }, here, at(2));
    expect(await checkSession(here, at(3))).not.toBeNull();
    expect(await checkSession(elsewhere, at(3))).toBeNull();
  });

  it("is for staff only: customers sign in by emailed link", async () => {
    const [c] = await createUsers([{ email: "cust@example.com", role: "customer", password: PASSWORD }], { actor: "bootstrap", now: T0 });
    await expect(startMfaEnrolment(c.id, { currentPassword: PASSWORD }, at(0))).rejects.toThrow(/multi-factor sign-in is for staff/);
  });
});

describe("sign-in with multi-factor", () => {
  it("the password alone asks for a code; the right code signs in; a wrong one is refused and audited", async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    await expect(authenticateStaff({ email: u.email, password: PASSWORD }, at(60))).rejects.toThrow(SecondFactorRequiredError);
    const wrong = codeAt(secret, at(60)) === "123456" ? "654321" : "123456";
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: wrong }, at(61))).rejects.toThrow(WrongSecondFactorError);
    // A wrong password with any code is just a wrong password.
    expect(await authenticateStaff({ email: u.email, password: "wrong password", code: codeAt(secret, at(62)) }, at(62))).toBeNull();
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(63)) }, at(63))).toMatchObject({
      id: u.id,
      method: "password and authenticator code",
    });
    const prisma = await testPrisma();
    const events = await prisma.auditEvent.findMany({ where: { action: { in: ["auth.signed_in", "auth.sign_in_failed"] } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.reason])).toEqual([
      ["auth.sign_in_failed", "wrong authenticator code"],
      ["auth.sign_in_failed", "wrong email or password"],
      ["auth.signed_in", "password and authenticator code"],
    ]);
  });

  it("accepts a code one step either side of now (clock drift), not two", async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    const now = at(300);
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(300 - 60)) }, now)).rejects.toThrow(WrongSecondFactorError);
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(300 - 30)) }, now)).toMatchObject({ id: u.id });
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(300 + 30)) }, now)).toMatchObject({ id: u.id });
  });

  it("a code works once: replaying it, or an earlier one, is refused; the next one works", async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    const code = codeAt(secret, at(90));
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code }, at(90))).toMatchObject({ id: u.id });
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code }, at(95))).rejects.toThrow(WrongSecondFactorError);
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(60)) }, at(95))).rejects.toThrow(WrongSecondFactorError);
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(120)) }, at(120))).toMatchObject({ id: u.id });
    const prisma = await testPrisma();
    const failures = await prisma.auditEvent.findMany({ where: { action: "auth.sign_in_failed" }, orderBy: { seq: "asc" } });
    expect(failures.map((e) => e.reason)).toEqual(["authenticator code already used", "authenticator code already used"]);
  });

  it("the same code sent twice at once signs in once", async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    const code = codeAt(secret, at(90));
    const outcomes = await Promise.allSettled([0, 1, 2].map(() => authenticateStaff({ email: u.email, password: PASSWORD, code }, at(90))));
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof WrongSecondFactorError)).toHaveLength(2);
  });

  it("a recovery code signs in once (any case, with or without its dash), and its use is audited without the code", async () => {
    const u = await staff();
    const { recoveryCodes } = await enrol(u.id);
    const [first, second] = recoveryCodes;
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: first }, at(60))).toMatchObject({
      id: u.id,
      method: "password and recovery code",
    });
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: first }, at(61))).rejects.toThrow(WrongSecondFactorError);
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: ` ${second.replace("-", "").toUpperCase()} ` }, at(62))).toMatchObject({
      id: u.id,
    });
    expect(await getMfaStatus(u.id)).toMatchObject({ recoveryCodesLeft: RECOVERY_CODE_COUNT - 2 });
    const prisma = await testPrisma();
    const used = await prisma.auditEvent.findMany({ where: { action: "auth.recovery_code_used" }, orderBy: { seq: "asc" } });
    expect(used.map((e) => (e.after as { recoveryCodesLeft: number }).recoveryCodesLeft)).toEqual([9, 8]);
    const failed = await prisma.auditEvent.findFirstOrThrow({ where: { action: "auth.sign_in_failed" } });
    expect(failed.reason).toBe("wrong or used recovery code");
  });

  it(`wrong codes count toward the lockout: of 12 guesses at once, ${MAX_FAILED_SIGN_INS} reach the check, and then even the right code is refused`, async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    const right = codeAt(secret, at(60));
    const guesses = Array.from({ length: 12 }, (_, i) => String(100000 + i * 7919)).filter((g) => g !== right);
    const outcomes = await Promise.allSettled(guesses.map((code) => authenticateStaff({ email: u.email, password: PASSWORD, code }, at(60), "198.51.100.7")));
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof WrongSecondFactorError)).toHaveLength(MAX_FAILED_SIGN_INS);
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof SignInLockedError)).toHaveLength(guesses.length - MAX_FAILED_SIGN_INS);
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: right }, at(61))).rejects.toThrow(SignInLockedError);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { action: "auth.sign_in_failed", reason: "wrong authenticator code" } })).toBe(MAX_FAILED_SIGN_INS);
    expect(await prisma.auditEvent.count({ where: { action: "auth.sign_in_failed", outcome: "denied" } })).toBe(guesses.length - MAX_FAILED_SIGN_INS + 1);
    // The window ends: the right code works again.
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(16 * 60)) }, at(16 * 60))).toMatchObject({ id: u.id });
  });

  it("the password step without a code counts too, and only a complete sign-in clears the count", async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++)
      await expect(authenticateStaff({ email: u.email, password: PASSWORD }, at(60))).rejects.toThrow(SecondFactorRequiredError);
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: codeAt(secret, at(60)) }, at(60))).rejects.toThrow(SignInLockedError);
  });
});

describe("changes to one's multi-factor sign-in need the password and a current code", () => {
  it("regenerating recovery codes: the old ones stop working, the new ones work; audited", async () => {
    const u = await staff();
    const { secret, recoveryCodes: old } = await enrol(u.id);
    await expect(
      regenerateRecoveryCodes(u.id, { currentPassword: PASSWORD, code: "000000" === codeAt(secret, at(60)) ? "111111" : "000000" }, at(60)),
    ).rejects.toThrow(/code: is not a current code/);
    await expect(regenerateRecoveryCodes(u.id, { currentPassword: "nope", code: codeAt(secret, at(60)) }, at(60))).rejects.toThrow(/currentPassword/);
    const { recoveryCodes } = await regenerateRecoveryCodes(u.id, { currentPassword: PASSWORD, code: codeAt(secret, at(60)) }, at(60));
    expect(recoveryCodes).toHaveLength(RECOVERY_CODE_COUNT);
    await expect(authenticateStaff({ email: u.email, password: PASSWORD, code: old[0] }, at(70))).rejects.toThrow(WrongSecondFactorError);
    expect(await authenticateStaff({ email: u.email, password: PASSWORD, code: recoveryCodes[0] }, at(71))).toMatchObject({ id: u.id });
    const prisma = await testPrisma();
    const actions = (
      await prisma.auditEvent.findMany({
        where: { action: { in: ["auth.recovery_codes_regenerated", "auth.reauthentication_failed"] } },
        orderBy: { seq: "asc" },
      })
    ).map((e) => [e.action, e.reason]);
    expect(actions).toEqual([
      ["auth.reauthentication_failed", "regenerate recovery codes: wrong authenticator code"],
      ["auth.reauthentication_failed", "regenerate recovery codes: wrong password"],
      ["auth.recovery_codes_regenerated", null],
    ]);
  });

  it("an operator turns it off with password and code; the password alone then signs in", async () => {
    const u = await staff();
    const { secret } = await enrol(u.id);
    await expect(disableOwnMfa(u.id, { currentPassword: PASSWORD, code: "" }, at(60))).rejects.toThrow(/code: is required/);
    await disableOwnMfa(u.id, { currentPassword: PASSWORD, code: codeAt(secret, at(60)) }, at(60));
    expect(await getMfaStatus(u.id)).toMatchObject({ enabledAt: null, recoveryCodesLeft: 0 });
    expect(await authenticateStaff({ email: u.email, password: PASSWORD }, at(61))).toMatchObject({ id: u.id, method: "password" });
    const prisma = await testPrisma();
    expect((await prisma.user.findUniqueOrThrow({ where: { id: u.id }, omit: { totpSecret: false } })).totpSecret).toBeNull();
    expect(await prisma.auditEvent.count({ where: { action: "auth.mfa_disabled" } })).toBe(1);
  });

  it("an enrolled admin cannot turn it off; another admin can reset it, which ends their sessions", async () => {
    const admin = await staff("admin");
    const other = await staff("admin", "second-admin@example.com");
    const { secret } = await enrol(admin.id);
    expect(await getMfaStatus(admin.id)).toMatchObject({ mayDisable: false });
    await expect(disableOwnMfa(admin.id, { currentPassword: PASSWORD, code: codeAt(secret, at(60)) }, at(60))).rejects.toThrow(/stays on once enrolled/);
    const sid = await startSession(admin.id, "password and authenticator code", {}, at(60));
    await expect(resetUserMfa({ userId: admin.id }, { actor: `user:${admin.id}`, now: at(61) })).rejects.toThrow(/your account page/);
    expect(await resetUserMfa({ userId: admin.id }, { actor: `user:${other.id}`, now: at(62) })).toEqual({ email: admin.email });
    expect(await checkSession(sid, at(63))).toBeNull();
    expect(await getMfaStatus(admin.id)).toMatchObject({ enabledAt: null, recoveryCodesLeft: 0 });
    await expect(resetUserMfa({ userId: admin.id }, { actor: `user:${other.id}`, now: at(64) })).rejects.toThrow(/no multi-factor sign-in to reset/);
    const prisma = await testPrisma();
    const reset = await prisma.auditEvent.findFirstOrThrow({ where: { action: "auth.mfa_disabled" } });
    expect([reset.actor, reset.reason]).toEqual([`user:${other.id}`, "reset by an admin"]);
  });
});

describe("an admin's requirement", () => {
  it("sends staff without multi-factor to enrol first, and keeps anyone from turning it off; audited", async () => {
    const admin = await staff("admin");
    const op = await staff("operator");
    const [cust] = await createUsers([{ email: "cust@example.com", role: "customer" }], { actor: "bootstrap", now: T0 });
    const opSession = await startSession(op.id, "password", {}, at(0));
    const custSession = await startSession(cust.id, "email link", {}, at(0));
    expect(await checkSession(opSession, at(1))).toMatchObject({ mustEnrollMfa: false });

    await setStaffMfaRequired({ required: true }, { actor: `user:${admin.id}`, now: at(2) });
    await expect(setStaffMfaRequired({ required: true }, { actor: `user:${admin.id}`, now: at(2) })).rejects.toThrow(/already required/);
    await expect(setStaffMfaRequired({ required: "yes" as unknown as boolean }, { actor: `user:${admin.id}`, now: at(2) })).rejects.toThrow(/required/);
    expect(await checkSession(opSession, at(3))).toMatchObject({ mustEnrollMfa: true });
    expect(await checkSession(custSession, at(3))).toMatchObject({ mustEnrollMfa: false });

    const { secret } = await enrol(op.id, at(4), opSession); // enrolling in that session keeps it
    expect(await checkSession(opSession, at(5))).toMatchObject({ mustEnrollMfa: false });
    expect(await getMfaStatus(op.id)).toMatchObject({ required: true, mayDisable: false });
    await expect(disableOwnMfa(op.id, { currentPassword: PASSWORD, code: codeAt(secret, at(60)) }, at(60))).rejects.toThrow(
      /requires multi-factor sign-in for all staff/,
    );

    await setStaffMfaRequired({ required: false }, { actor: `user:${admin.id}`, now: at(70) });
    const prisma = await testPrisma();
    const changes = await prisma.auditEvent.findMany({ where: { action: "settings.updated" }, orderBy: { seq: "asc" } });
    expect(changes.map((e) => [e.actor, e.before, e.after])).toEqual([
      [`user:${admin.id}`, { requireStaffMfa: false }, { requireStaffMfa: true }],
      [`user:${admin.id}`, { requireStaffMfa: true }, { requireStaffMfa: false }],
    ]);
  });
});

describe("secrets never reach the audit trail", () => {
  it("no seed, code or recovery code in any audit row after every kind of MFA event", async () => {
    const admin = await staff("admin");
    const u = await staff();
    const { secret, recoveryCodes: first } = await enrol(u.id);
    const codes: string[] = [...first];
    const c1 = codeAt(secret, at(60));
    codes.push(c1);
    await authenticateStaff({ email: u.email, password: PASSWORD, code: c1 }, at(60));
    await authenticateStaff({ email: u.email, password: PASSWORD, code: c1 }, at(61)).catch(() => {});
    await authenticateStaff({ email: u.email, password: PASSWORD, code: first[0] }, at(62));
    const c2 = codeAt(secret, at(120));
    codes.push(c2);
    const { recoveryCodes: second } = await regenerateRecoveryCodes(u.id, { currentPassword: PASSWORD, code: c2 }, at(120));
    codes.push(...second);
    await resetUserMfa({ userId: u.id }, { actor: `user:${admin.id}`, now: at(130) });
    const prisma = await testPrisma();
    const audit = JSON.stringify(await prisma.auditEvent.findMany(), (_, v) => (typeof v === "bigint" ? String(v) : v));
    expect(audit).toContain("auth.recovery_code_used");
    expect(audit.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(audit).not.toContain(PASSWORD);
    for (const c of codes) {
      expect(audit).not.toContain(c);
      expect(audit).not.toContain(c.replace("-", ""));
    }
  });
});
