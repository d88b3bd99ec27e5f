import "server-only";
import { randomBytes } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import { getPrisma, inTransaction, type Tx } from "../db";
import { appendAuditEvent } from "../audit/write";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { countBySealingSecret, keyedHashes, openSecret, sealSecret, sealedUnderCurrent } from "../secret";
import { parseInput } from "../validation";
import { clearSignInAttempts, takeSignInAttempt } from "./attempts";
import { verifyPassword } from "./passwords";
import { confirmMfaSchema, mfaReauthSchema, requireStaffMfaSchema, startMfaSchema, userIdSchema } from "./schemas";
import { endSessions } from "./sessions";
import type { Context } from "../context";

/*
 * Multi-factor sign-in for staff: TOTP (RFC 6238: SHA-1, 6 digits, 30 s
 * steps, one step either side accepted for clock drift) with one-time
 * recovery codes. The seed is stored sealed (AES-256-GCM, lib/secret.ts);
 * recovery codes only as keyed hashes. Neither the seed nor any code is ever
 * logged or audited.
 */

export const TOTP_ISSUER = "rekey";
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now a code is still accepted for (clock drift). */
export const TOTP_WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;

const SEAL_PURPOSE = "totp secret";
const HASH_PURPOSE = "recovery code";
// Crockford's base32 alphabet: no I, L, O or U to misread. 10 characters = 50 bits a code.
const RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function totp(secret: Secret, email: string): TOTP {
  return new TOTP({ issuer: TOTP_ISSUER, label: email, algorithm: "SHA1", digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret });
}

/** A fresh recovery code, as shown: `xxxxx-xxxxx`. */
function newRecoveryCode(): string {
  const chars = [...randomBytes(10)].map((b) => RECOVERY_ALPHABET[b & 31]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** What is compared: lower case, no spaces or dashes (people type codes every which way). */
function normalizeCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, "");
}

/** A recovery code's hash under the current data secret first, then under each previous one (codes made before a rotation still work). */
function recoveryCodeHashes(userId: string, code: string): string[] {
  return keyedHashes(`${userId}:${normalizeCode(code)}`, HASH_PURPOSE);
}

function recoveryCodeHash(userId: string, code: string): string {
  return recoveryCodeHashes(userId, code)[0];
}

/** Replaces a user's recovery codes with RECOVERY_CODE_COUNT new ones, in the caller's transaction; returns them, to be shown once. */
async function replaceRecoveryCodes(tx: Tx, userId: string, now: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({ data: codes.map((code) => ({ userId, codeHash: recoveryCodeHash(userId, code), createdAt: now })) });
  return codes;
}

export type SecondFactor = { ok: true; kind: "authenticator code" | "recovery code"; recoveryCodesLeft?: number } | { ok: false; reason: string };

/**
 * Checks and uses up a second factor of a user with TOTP enabled, in the
 * caller's transaction: a 6-digit code from their app, accepted once (its
 * time step must be later than the last accepted one, so a code seen over a
 * shoulder or replayed is refused), or one of their recovery codes, each
 * usable once. Both are a single conditional UPDATE, so two requests with
 * the same code cannot both pass.
 */
export async function useSecondFactor(tx: Tx, userId: string, code: string, now: Date): Promise<SecondFactor> {
  const user = await tx.user.findUnique({ where: { id: userId }, select: { email: true, totpSecret: true, totpEnabledAt: true } });
  if (!user?.totpSecret || !user.totpEnabledAt) return { ok: false, reason: "multi-factor sign-in is not enabled" };
  const typed = code.replace(/\s/g, "");
  if (/^\d+$/.test(typed)) {
    let secret: Secret;
    try {
      secret = Secret.fromBase32(openSecret(user.totpSecret, SEAL_PURPOSE, userId));
    } catch {
      // Sealed under a data secret no longer configured: the person's app cannot help; a recovery code or an admin's reset can.
      return { ok: false, reason: "authenticator seed sealed under a data secret that is no longer configured (an admin can reset multi-factor sign-in)" };
    }
    const delta = totp(secret, user.email).validate({ token: typed, timestamp: now.getTime(), window: TOTP_WINDOW });
    if (delta === null) return { ok: false, reason: "wrong authenticator code" };
    const step = Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS) + delta;
    // A seed sealed under a previous data secret is sealed again under the current one as it is used (a rotation drains by itself).
    const resealed = sealedUnderCurrent(user.totpSecret) ? {} : { totpSecret: sealSecret(secret.base32, SEAL_PURPOSE, userId) };
    const used = await tx.user.updateMany({
      where: { id: userId, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
      data: { totpLastStep: step, ...resealed },
    });
    return used.count === 1 ? { ok: true, kind: "authenticator code" } : { ok: false, reason: "authenticator code already used" };
  }
  const used = await tx.recoveryCode.updateMany({
    where: { userId, codeHash: { in: recoveryCodeHashes(userId, typed) }, usedAt: null },
    data: { usedAt: now },
  });
  if (used.count !== 1) return { ok: false, reason: "wrong or used recovery code" };
  const recoveryCodesLeft = await tx.recoveryCode.count({ where: { userId, usedAt: null } });
  return { ok: true, kind: "recovery code", recoveryCodesLeft };
}

/** The audit event of a recovery code spent (never the code), in the caller's transaction. */
export async function auditRecoveryCodeUsed(tx: Tx, user: { id: string; email: string }, left: number, how: string, now: Date): Promise<void> {
  await appendAuditEvent(
    tx,
    { actor: `user:${user.id}`, action: "auth.recovery_code_used", reason: how, after: { email: user.email, recoveryCodesLeft: left } },
    now,
  );
}

/** A staff member who signs in with a password (the one whose multi-factor sign-in or passkeys change), or NotFound / Validation. */
export async function staffUser(userId: string) {
  const prisma = await getPrisma();
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, role: true, organizationId: true, disabledAt: true, passwordHash: true, totpEnabledAt: true },
  });
  if (!user || user.disabledAt) throw new NotFoundError("No such user.");
  if (user.role === "customer" || !user.passwordHash) throw new ValidationError("Customers sign in with an emailed link: multi-factor sign-in is for staff.");
  return user;
}

export type StaffUser = Awaited<ReturnType<typeof staffUser>>;

/**
 * Re-authentication for a change to a user's multi-factor sign-in: their
 * password, and once MFA is on, a current code (or a recovery code). Counted
 * against the same per-account limit as sign-in; a failure is audited and
 * refused. `then` runs in the transaction that uses up the code.
 */
export async function reauthenticate<T>(
  user: StaffUser,
  input: { currentPassword: string; code?: string },
  what: string,
  now: Date,
  then: (tx: Tx) => Promise<T>,
): Promise<T> {
  const fail = (tx: Tx, reason: string) =>
    appendAuditEvent(
      tx,
      { actor: `user:${user.id}`, action: "auth.reauthentication_failed", outcome: "failure", reason: `${what}: ${reason}`, after: { email: user.email } },
      now,
    );
  await takeSignInAttempt(user.email, null, now, (reason) => inTransaction((tx) => fail(tx, reason)));
  if (!(await verifyPassword(user.passwordHash!, input.currentPassword))) {
    await inTransaction((tx) => fail(tx, "wrong password"));
    throw new ValidationError("currentPassword: is not your current password", "currentPassword");
  }
  const outcome = await inTransaction(async (tx) => {
    if (user.totpEnabledAt) {
      const factor = await useSecondFactor(tx, user.id, input.code ?? "", now);
      if (!factor.ok) {
        await fail(tx, factor.reason);
        return { ok: false as const };
      }
      if (factor.kind === "recovery code") await auditRecoveryCodeUsed(tx, user, factor.recoveryCodesLeft ?? 0, what, now);
    }
    return { ok: true as const, value: await then(tx) };
  });
  if (!outcome.ok) throw new ValidationError("code: is not a current code from your app nor an unused recovery code", "code");
  await clearSignInAttempts(user.email);
  return outcome.value;
}

/** Whether every staff member must use multi-factor sign-in (an admin's setting; off until turned on). */
export async function isStaffMfaRequired(db?: Tx): Promise<boolean> {
  const client = db ?? (await getPrisma());
  const row = await client.settings.findUnique({ where: { id: 1 }, select: { requireStaffMfa: true } });
  return row?.requireStaffMfa ?? false;
}

/** An admin turns the requirement on or off; audited. */
export async function setStaffMfaRequired(input: { required: boolean }, { actor, now }: Context): Promise<void> {
  const { required } = parseInput(requireStaffMfaSchema, input);
  await inTransaction(async (tx) => {
    const before = await isStaffMfaRequired(tx);
    if (before === required) throw new ConflictError(`Multi-factor sign-in is already ${required ? "required" : "optional"} for staff.`);
    await tx.settings.upsert({
      where: { id: 1 },
      create: { id: 1, requireStaffMfa: required, updatedAt: now },
      update: { requireStaffMfa: required, updatedAt: now },
    });
    await appendAuditEvent(tx, { actor, action: "settings.updated", before: { requireStaffMfa: before }, after: { requireStaffMfa: required } }, now);
  });
}

/** What the account page shows of a user's multi-factor sign-in. */
export async function getMfaStatus(userId: string) {
  const prisma = await getPrisma();
  const [user, recoveryCodesLeft, required] = await Promise.all([
    prisma.user.findUnique({ where: { id: userId }, select: { role: true, totpEnabledAt: true } }),
    prisma.recoveryCode.count({ where: { userId, usedAt: null } }),
    isStaffMfaRequired(),
  ]);
  const enabledAt = user?.totpEnabledAt ?? null;
  return { enabledAt, recoveryCodesLeft, required, mayDisable: !!enabledAt && !disableRefusal(user!.role, required) };
}

/** Why a user may not turn their own multi-factor sign-in off, or null. */
function disableRefusal(role: string, required: boolean): string | null {
  if (required)
    return "An admin requires multi-factor sign-in for all staff: it cannot be turned off. Lost your device? Regenerate your recovery codes, or ask an admin to reset it.";
  // Issue 12: on for admins once enrolled. Another admin may reset it (a lost device).
  if (role === "admin") return "An admin's multi-factor sign-in stays on once enrolled. Lost your device? Another admin can reset it.";
  return null;
}

export interface Enrolment {
  /** The seed in base32, for typing into an app by hand. */
  secret: string;
  /** The otpauth:// URI the QR code holds. */
  uri: string;
  /** The QR code, an SVG image as a data: URL. */
  qrCode: string;
}

/**
 * Starts enrolment, after the user's password: a new seed, stored sealed but
 * not yet signing anyone in, returned once to show as a QR code and as text.
 * Starting again replaces a seed never confirmed. Refused while MFA is on.
 */
export async function startMfaEnrolment(userId: string, input: { currentPassword: string }, now: Date): Promise<Enrolment> {
  const data = parseInput(startMfaSchema, input);
  const user = await staffUser(userId);
  if (user.totpEnabledAt) throw new ConflictError("Multi-factor sign-in is already on.");
  const secret = new Secret({ size: 20 });
  await reauthenticate(user, data, "set up multi-factor sign-in", now, async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { totpSecret: sealSecret(secret.base32, SEAL_PURPOSE, userId), totpLastStep: null } });
    await appendAuditEvent(
      tx,
      { actor: `user:${userId}`, action: "auth.mfa_enrolment_started", organizationId: user.organizationId, after: { email: user.email } },
      now,
    );
  });
  const uri = totp(secret, user.email).toString();
  const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { secret: secret.base32, uri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}` };
}

/**
 * Confirms enrolment with a code from the app (proof it holds the seed):
 * MFA is on from now, the user's other sessions (signed in with a password
 * alone) end, and RECOVERY_CODE_COUNT recovery codes are returned, to be
 * shown once. Audited (`auth.mfa_enabled`), never with the seed or a code.
 */
export async function confirmMfaEnrolment(
  userId: string,
  input: { code: string },
  currentSessionId: string | null,
  now: Date,
): Promise<{ recoveryCodes: string[] }> {
  const { code } = parseInput(confirmMfaSchema, input);
  const user = await staffUser(userId);
  if (user.totpEnabledAt) throw new ConflictError("Multi-factor sign-in is already on.");
  const outcome = await inTransaction(async (tx) => {
    const row = await tx.user.findUnique({ where: { id: userId }, select: { totpSecret: true, totpEnabledAt: true } });
    if (!row?.totpSecret || row.totpEnabledAt) throw new ConflictError("Start setting up multi-factor sign-in first.");
    const secret = Secret.fromBase32(openSecret(row.totpSecret, SEAL_PURPOSE, userId));
    const delta = totp(secret, user.email).validate({ token: code, timestamp: now.getTime(), window: TOTP_WINDOW });
    if (delta === null) return null;
    const step = Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS) + delta;
    // Conditional on still being unconfirmed: two confirmations at once enable it once.
    const enabled = await tx.user.updateMany({
      where: { id: userId, totpEnabledAt: null, totpSecret: row.totpSecret },
      data: { totpEnabledAt: now, totpLastStep: step },
    });
    if (enabled.count !== 1) throw new ConflictError("Multi-factor sign-in is already on.");
    const recoveryCodes = await replaceRecoveryCodes(tx, userId, now);
    await appendAuditEvent(
      tx,
      {
        actor: `user:${userId}`,
        action: "auth.mfa_enabled",
        organizationId: user.organizationId,
        after: { email: user.email, method: "totp", recoveryCodes: RECOVERY_CODE_COUNT },
      },
      now,
    );
    await endSessions(tx, { userId, notId: currentSessionId ?? undefined }, "multi-factor sign-in turned on", `user:${userId}`, now);
    return { recoveryCodes };
  });
  if (!outcome) throw new ValidationError("code: is not the current code from your app (check its clock, then try the next code)", "code");
  return outcome;
}

/** Replaces the user's recovery codes, after their password and a current code; the old ones stop working. Audited. */
export async function regenerateRecoveryCodes(
  userId: string,
  input: { currentPassword: string; code: string },
  now: Date,
): Promise<{ recoveryCodes: string[] }> {
  const data = parseInput(mfaReauthSchema, input);
  const user = await staffUser(userId);
  if (!user.totpEnabledAt) throw new ConflictError("Multi-factor sign-in is off: there are no recovery codes.");
  return reauthenticate(user, data, "regenerate recovery codes", now, async (tx) => {
    const recoveryCodes = await replaceRecoveryCodes(tx, userId, now);
    await appendAuditEvent(
      tx,
      {
        actor: `user:${userId}`,
        action: "auth.recovery_codes_regenerated",
        organizationId: user.organizationId,
        after: { email: user.email, recoveryCodes: RECOVERY_CODE_COUNT },
      },
      now,
    );
    return { recoveryCodes };
  });
}

async function clearMfa(tx: Tx, userId: string): Promise<void> {
  await tx.user.update({ where: { id: userId }, data: { totpSecret: null, totpEnabledAt: null, totpLastStep: null } });
  await tx.recoveryCode.deleteMany({ where: { userId } });
}

/**
 * Turns the user's own multi-factor sign-in off, after their password and a
 * current code. Refused while an admin requires it, and for an admin (issue
 * 12: on for admins once enrolled; another admin can reset it). Audited.
 */
export async function disableOwnMfa(userId: string, input: { currentPassword: string; code: string }, now: Date): Promise<void> {
  const data = parseInput(mfaReauthSchema, input);
  const user = await staffUser(userId);
  if (!user.totpEnabledAt) throw new ConflictError("Multi-factor sign-in is already off.");
  const refusal = disableRefusal(user.role, await isStaffMfaRequired());
  if (refusal) throw new ConflictError(refusal);
  await reauthenticate(user, data, "turn off multi-factor sign-in", now, async (tx) => {
    await clearMfa(tx, userId);
    await appendAuditEvent(
      tx,
      {
        actor: `user:${userId}`,
        action: "auth.mfa_disabled",
        organizationId: user.organizationId,
        reason: "turned off by its user",
        after: { email: user.email },
      },
      now,
    );
  });
}

/**
 * An admin resets another staff member's multi-factor sign-in (a lost
 * device): it is off, their recovery codes and passkeys are gone and every
 * session of theirs ends; they enrol again at their next sign-in if it is
 * required. Audited.
 */
export async function resetUserMfa(input: { userId: string }, { actor, now }: Context): Promise<{ email: string }> {
  const { userId } = parseInput(userIdSchema, input);
  if (actor === `user:${userId}`) throw new ConflictError("Reset your own multi-factor sign-in on your account page.");
  return inTransaction(async (tx) => {
    const user = await tx.user.findUnique({
      where: { id: userId },
      select: { id: true, email: true, organizationId: true, totpSecret: true, totpEnabledAt: true, _count: { select: { passkeys: true } } },
    });
    if (!user) throw new NotFoundError("No such user.");
    const passkeys = user._count.passkeys;
    if (!user.totpEnabledAt && !user.totpSecret && passkeys === 0) throw new ConflictError(`${user.email} has no multi-factor sign-in to reset.`);
    await clearMfa(tx, userId);
    await tx.passkey.deleteMany({ where: { userId } });
    await appendAuditEvent(
      tx,
      {
        actor,
        action: "auth.mfa_disabled",
        organizationId: user.organizationId,
        reason: "reset by an admin",
        after: { email: user.email, passkeysRemoved: passkeys },
      },
      now,
    );
    await endSessions(tx, { userId }, "multi-factor sign-in reset by an admin", actor, now);
    return { email: user.email };
  });
}

/**
 * How many staff multi-factor seeds are sealed under each data secret: the
 * current one, previous ones still configured (they move at their owner's
 * next sign-in), and ones no longer configured (those people cannot sign in
 * with their app: an admin resets them). Ids only, never a seed.
 */
export async function mfaSecretsByDataSecret(): Promise<{ current: number; previous: number; unreadable: number }> {
  const prisma = await getPrisma();
  const rows = await prisma.$queryRaw<{ id: string; n: number }[]>`
    SELECT CASE WHEN "totpSecret" LIKE 'v2.%' THEN split_part("totpSecret", '.', 2) ELSE 'v1' END AS id, count(*)::int AS n
    FROM users WHERE "totpSecret" IS NOT NULL AND "totpEnabledAt" IS NOT NULL GROUP BY 1`;
  return countBySealingSecret(rows);
}
