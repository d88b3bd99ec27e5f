import { beforeEach, describe, expect, it } from "vitest";
import { Secret, TOTP } from "otpauth";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { T0 } from "./support/fixtures";
import { SoftAuthenticator } from "./support/authenticator";
import { createUsers, setUserDisabled } from "../lib/auth/users";
import { MAX_FAILED_SIGN_INS } from "../lib/auth/sign-in";
import { confirmMfaEnrolment, resetUserMfa, setStaffMfaRequired, startMfaEnrolment } from "../lib/auth/mfa";
import {
  authenticatePasskey,
  finishPasskeyRegistration,
  listPasskeys,
  PASSKEY_CHALLENGE_MINUTES,
  relyingParty,
  removePasskey,
  startPasskeyRegistration,
  startPasskeySignIn,
} from "../lib/auth/passkeys";
import { checkSession, startSession } from "../lib/auth/sessions";
import { purgeExpired } from "../lib/cron/retention";

useTestDatabase();
beforeEach(resetTestData);

const PASSWORD = "correct horse battery staple";
const ADDRESS = "203.0.113.7";
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function staff(role: "admin" | "operator" | "auditor" = "operator", email = `${role}@example.com`) {
  const [u] = await createUsers([{ email, role, password: PASSWORD }], { actor: "bootstrap", now: T0 });
  return u;
}

/** Adds a passkey for the user, made by a fresh software authenticator; returns the authenticator. */
async function addPasskey(userId: string, name = "Work laptop", when = at(0)) {
  const device = new SoftAuthenticator(relyingParty().origin);
  const options = await startPasskeyRegistration(userId, { currentPassword: PASSWORD }, when);
  await finishPasskeyRegistration(userId, { name, response: device.register(options) }, when);
  return device;
}

/** One sign-in with the device: a fresh challenge, the device's answer (changed by `answer`), rekey's check. */
async function signInWith(device: SoftAuthenticator, when = at(10), answer: Parameters<SoftAuthenticator["authenticate"]>[1] = {}) {
  const options = await startPasskeySignIn(ADDRESS, when);
  const response = device.authenticate(options, answer);
  return { result: await authenticatePasskey({ response: JSON.stringify(response) }, when, ADDRESS), response };
}

async function events(action: string) {
  const prisma = await testPrisma();
  return prisma.auditEvent.findMany({ where: { action }, orderBy: { seq: "asc" } });
}

describe("adding a passkey", () => {
  it("needs the password, checks the authenticator's answer, stores only its public key, and is audited", async () => {
    const u = await staff();
    await expect(startPasskeyRegistration(u.id, { currentPassword: "not my password" }, at(0))).rejects.toThrow(
      /currentPassword: is not your current password/,
    );
    const device = new SoftAuthenticator(relyingParty().origin);
    const options = await startPasskeyRegistration(u.id, { currentPassword: PASSWORD }, at(0));
    expect(options.rp.id).toBe(new URL(relyingParty().origin).hostname);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    await finishPasskeyRegistration(u.id, { name: "Work laptop", response: device.register(options) }, at(1));

    const [row] = await listPasskeys(u.id);
    expect(row).toMatchObject({ name: "Work laptop", deviceType: "singleDevice", backedUp: false, lastUsedAt: null });
    const prisma = await testPrisma();
    const stored = await prisma.passkey.findFirstOrThrow({ where: { userId: u.id } });
    expect(stored.credentialId).toBe(device.credentialId.toString("base64url"));
    expect(stored.publicKey.length).toBeGreaterThan(60); // a COSE EC2 key
    const [added] = await events("auth.passkey_added");
    expect(added).toMatchObject({ actor: `user:${u.id}`, outcome: "success" });
    expect(added.after).toMatchObject({ email: u.email, passkey: "Work laptop" });
    // The challenge was used up.
    expect(await prisma.webauthnChallenge.count()).toBe(0);
  });

  it("refuses an answer for another site, one without user verification, a used or expired challenge, and someone else's challenge", async () => {
    const u = await staff();
    const other = await staff("auditor");
    const { origin } = relyingParty();
    const cases: [string, (o: Awaited<ReturnType<typeof startPasskeyRegistration>>, d: SoftAuthenticator) => unknown, RegExp, string?][] = [
      ["another origin", (o, d) => d.register(o, { origin: "https://rekey.evil.example" }), /made for another site/],
      ["another relying party", (o, d) => d.register(o, { rpId: "evil.example" }), /made for another site/],
      ["no user verification", (o, d) => d.register(o, { userVerified: false }), /did not verify you/],
      ["someone else's challenge", (o, d) => d.register(o), /expired or was already used/, other.id],
    ];
    for (const [what, answer, message, finishAs] of cases) {
      const device = new SoftAuthenticator(origin);
      const options = await startPasskeyRegistration(u.id, { currentPassword: PASSWORD }, at(0));
      await expect(finishPasskeyRegistration(finishAs ?? u.id, { name: what, response: answer(options, device) }, at(1)), what).rejects.toThrow(message);
    }
    // Used once: the same answer again is refused.
    const device = new SoftAuthenticator(origin);
    const options = await startPasskeyRegistration(u.id, { currentPassword: PASSWORD }, at(0));
    const response = device.register(options);
    await finishPasskeyRegistration(u.id, { name: "once", response }, at(1));
    await expect(finishPasskeyRegistration(u.id, { name: "twice", response }, at(2))).rejects.toThrow(/expired or was already used/);
    // Expired.
    const late = await startPasskeyRegistration(u.id, { currentPassword: PASSWORD }, at(0));
    await expect(
      finishPasskeyRegistration(u.id, { name: "late", response: new SoftAuthenticator(origin).register(late) }, at(PASSKEY_CHALLENGE_MINUTES * 60 + 1)),
    ).rejects.toThrow(/expired/);
    expect((await listPasskeys(u.id)).map((p) => p.name)).toEqual(["once"]);
    expect(await listPasskeys(other.id)).toEqual([]);
  });

  it("asks for a current code too once multi-factor sign-in is on", async () => {
    const u = await staff();
    const { secret } = await startMfaEnrolment(u.id, { currentPassword: PASSWORD }, at(0));
    const code = (when: Date) =>
      new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: when.getTime() });
    await confirmMfaEnrolment(u.id, { code: code(at(0)) }, null, at(0));
    await expect(startPasskeyRegistration(u.id, { currentPassword: PASSWORD }, at(60))).rejects.toThrow(/code: is not a current code/);
    await expect(startPasskeyRegistration(u.id, { currentPassword: PASSWORD, code: code(at(60)) }, at(60))).resolves.toHaveProperty("challenge");
  });

  it("is for staff only", async () => {
    const prisma = await testPrisma();
    const org = await prisma.organization.create({ data: { name: "Acme" } });
    const [customer] = await createUsers([{ email: "c@acme.test", role: "customer", organizationId: org.id }], { actor: "bootstrap", now: T0 });
    await expect(startPasskeyRegistration(customer.id, { currentPassword: "x" }, at(0))).rejects.toThrow(/multi-factor sign-in is for staff/);
  });
});

describe("signing in with a passkey", () => {
  it("signs in with no password, counts as multi-factor where an admin requires it, records the use, and is audited", async () => {
    const admin = await staff("admin");
    const u = await staff();
    const device = await addPasskey(u.id);
    await setStaffMfaRequired({ required: true }, { actor: `user:${admin.id}`, now: at(5) });

    const { result } = await signInWith(device, at(10));
    expect(result).toMatchObject({ id: u.id, email: u.email, role: "operator", method: "passkey" });
    const session = await startSession(u.id, result!.method, { userAgent: null, ipAddress: ADDRESS }, at(10));
    expect((await checkSession(session, at(11)))?.mustEnrollMfa).toBe(false);
    // The same user by password alone is sent to enrol.
    const byPassword = await startSession(u.id, "password", { userAgent: null, ipAddress: ADDRESS }, at(10));
    expect((await checkSession(byPassword, at(11)))?.mustEnrollMfa).toBe(true);

    const [row] = await listPasskeys(u.id);
    expect(row.lastUsedAt).toEqual(at(10));
    const signedIn = (await events("auth.signed_in")).filter((e) => e.reason === "passkey");
    expect(signedIn).toHaveLength(1);
    expect(signedIn[0].after).toMatchObject({ email: u.email, address: ADDRESS, passkey: "Work laptop" });
  });

  it("refuses a replayed answer, another site's, one without user verification, an expired challenge, and a counter that goes back", async () => {
    const u = await staff();
    const device = await addPasskey(u.id);
    const first = await signInWith(device, at(10));
    expect(first.result?.id).toBe(u.id);
    // Replayed as it was sent: its challenge is used up.
    expect(await authenticatePasskey({ response: JSON.stringify(first.response) }, at(11), ADDRESS)).toBeNull();
    expect((await signInWith(device, at(12), { origin: "https://rekey.evil.example" })).result).toBeNull();
    expect((await signInWith(device, at(13), { rpId: "evil.example" })).result).toBeNull();
    // A success clears the count of failures (5 in a row lock the account, tested below).
    expect((await signInWith(device, at(14))).result?.id).toBe(u.id);
    expect((await signInWith(device, at(15), { userVerified: false })).result).toBeNull();
    const options = await startPasskeySignIn(ADDRESS, at(16));
    expect(
      await authenticatePasskey({ response: JSON.stringify(device.authenticate(options)) }, at(16 + PASSKEY_CHALLENGE_MINUTES * 60 + 1), ADDRESS),
    ).toBeNull();
    // A cloned device reports a counter at or below the one seen: refused.
    expect((await signInWith(device, at(17), { counter: 1 })).result).toBeNull();
    // The real device, moving on, still works.
    expect((await signInWith(device, at(18), { counter: 50 })).result?.id).toBe(u.id);

    const reasons = (await events("auth.sign_in_failed")).map((e) => e.reason);
    expect(reasons).toEqual([
      expect.stringMatching(/expired or was already used/),
      expect.stringMatching(/made for another site/),
      expect.stringMatching(/made for another site/),
      expect.stringMatching(/did not verify you/),
      expect.stringMatching(/expired or was already used/),
      expect.stringMatching(/counter went back/),
    ]);
  });

  it("refuses a passkey of a disabled user, one removed, a forged one, and a key of another user's device", async () => {
    const admin = await staff("admin");
    const u = await staff();
    const device = await addPasskey(u.id);
    await setUserDisabled({ userId: u.id, disabled: true }, { actor: `user:${admin.id}`, now: at(5) });
    expect((await signInWith(device, at(10))).result).toBeNull();
    await setUserDisabled({ userId: u.id, disabled: false }, { actor: `user:${admin.id}`, now: at(20) });
    expect((await signInWith(device, at(21))).result?.id).toBe(u.id);

    // An answer signed by another key under this passkey's id: the signature fails.
    const forger = new SoftAuthenticator(relyingParty().origin);
    Object.defineProperty(forger, "credentialId", { value: device.credentialId });
    expect((await signInWith(forger, at(30), { counter: 100 })).result).toBeNull();
    // A device rekey never saw.
    expect((await signInWith(new SoftAuthenticator(relyingParty().origin), at(31))).result).toBeNull();

    const [row] = await listPasskeys(u.id);
    await expect(removePasskey(u.id, { passkeyId: row.id, currentPassword: "wrong" }, at(40))).rejects.toThrow(/currentPassword/);
    await removePasskey(u.id, { passkeyId: row.id, currentPassword: PASSWORD }, at(41));
    expect((await signInWith(device, at(42))).result).toBeNull();
    expect((await events("auth.passkey_removed")).map((e) => e.after)).toEqual([expect.objectContaining({ passkey: "Work laptop" })]);
    expect((await events("auth.sign_in_failed")).map((e) => e.reason)).toEqual([
      "account disabled",
      "passkey signature did not verify",
      "unknown passkey",
      "unknown passkey",
    ]);
  });

  it("counts against the same per-account lockout as a password: after the limit even a good answer is refused", async () => {
    const u = await staff();
    const device = await addPasskey(u.id);
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) expect((await signInWith(device, at(10 + i), { userVerified: false })).result).toBeNull();
    await expect(signInWith(device, at(20))).rejects.toThrow(/Too many sign-in attempts for this email/);
  });

  it("answers only well-formed input, with the field named", async () => {
    await expect(authenticatePasskey({ response: "not json" }, at(0), ADDRESS)).rejects.toThrow(/response: must be the authenticator's answer as JSON/);
    await expect(authenticatePasskey({ response: JSON.stringify({ id: "x", rawId: "x", type: "password", response: {} }) }, at(0), ADDRESS)).rejects.toThrow(
      /type: must be public-key/,
    );
    await expect(authenticatePasskey({ response: "x".repeat(40_000) }, at(0), ADDRESS)).rejects.toThrow(/response: is too long/);
  });

  it("limits the challenges one address can ask for, and the cron forgets unanswered ones", async () => {
    for (let i = 0; i < 60; i++) await startPasskeySignIn("198.51.100.1", at(0));
    await expect(startPasskeySignIn("198.51.100.1", at(1))).rejects.toThrow(/Too many passkey sign-in requests from this address/);
    await expect(startPasskeySignIn("198.51.100.2", at(1))).resolves.toHaveProperty("challenge");
    const prisma = await testPrisma();
    expect(await prisma.webauthnChallenge.count()).toBe(61);
    const purged = await purgeExpired(at(PASSKEY_CHALLENGE_MINUTES * 60 + 2));
    expect(purged.passkeyChallenges).toBe(61);
  });
});

describe("an admin's reset", () => {
  it("removes a lost device's passkeys with the rest of the user's multi-factor sign-in", async () => {
    const admin = await staff("admin");
    const u = await staff();
    const device = await addPasskey(u.id);
    await resetUserMfa({ userId: u.id }, { actor: `user:${admin.id}`, now: at(5) });
    expect(await listPasskeys(u.id)).toEqual([]);
    expect((await signInWith(device, at(10))).result).toBeNull();
    const [reset] = await events("auth.mfa_disabled");
    expect(reset.after).toMatchObject({ passkeysRemoved: 1 });
  });
});
