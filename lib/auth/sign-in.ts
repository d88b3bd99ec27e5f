import "server-only";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { ValidationError } from "../errors";
import { burnPasswordCheck, verifyPassword } from "./passwords";
import { clearSignInAttempts, takeSignInAttempt } from "./attempts";
import { auditRecoveryCodeUsed, useSecondFactor } from "./mfa";
import { signInSchema } from "./schemas";
import type { Role } from "./permissions";
import type { SignInMethod } from "./sessions";

export { LOCKOUT_MINUTES, MAX_FAILED_SIGN_INS, MAX_SIGN_INS_PER_ADDRESS, SignInLockedError } from "./attempts";

/**
 * The right password of a user with multi-factor sign-in, without a code:
 * the sign-in form asks for one. Its message is a fixed code the form
 * recognises (next-auth hands a thrown error's message to the form).
 */
export const SECOND_FACTOR_REQUIRED = "SecondFactorRequired";
export class SecondFactorRequiredError extends ValidationError {
  constructor() {
    super(SECOND_FACTOR_REQUIRED, "code");
  }
}
/** A code that is wrong, already used, or a used recovery code. */
export class WrongSecondFactorError extends ValidationError {
  constructor() {
    super("That code did not work. Enter the code your app shows now, or an unused recovery code.", "code");
  }
}

export interface SignedInUser {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
  /** How they proved it, for their list of sessions. */
  method: SignInMethod;
}

/**
 * Checks a staff member's email and password, and for one with multi-factor
 * sign-in their code (`SecondFactorRequiredError` without one). Each attempt
 * is counted, atomically and before anything is checked, against its email
 * (at most MAX_FAILED_SIGN_INS in a LOCKOUT_MINUTES window; only a complete
 * sign-in clears the count, so codes are guessed no faster than passwords)
 * and its address (MAX_SIGN_INS_PER_ADDRESS): past either, even the right
 * password and code are refused until the window ends, so the lockout cannot
 * be raced. Every failure, lockout and recovery code used is audited, never
 * with the password or a code.
 */
export async function authenticateStaff(
  input: { email: string; password: string; code?: string },
  now: Date,
  address = "unknown",
): Promise<SignedInUser | null> {
  const { email, password, code } = parseInput(signInSchema, input);
  const prisma = await getPrisma();
  const user = await prisma.user.findUnique({ where: { email }, omit: { passwordHash: false } });
  const audit = (action: string, outcome: "success" | "failure" | "denied", reason: string | null) =>
    inTransaction((tx) => appendAuditEvent(tx, { actor: user ? `user:${user.id}` : "anonymous", action, reason, outcome, after: { email, address } }, now));

  await takeSignInAttempt(email, address, now, async (reason) => {
    await burnPasswordCheck(password);
    await audit("auth.sign_in_failed", "denied", reason);
  });
  const usable = user?.passwordHash && !user.disabledAt && user.role !== "customer";
  let ok = false;
  if (usable) ok = await verifyPassword(user.passwordHash!, password);
  else await burnPasswordCheck(password); // as long as a real check: the answer's timing tells no one whether the account exists
  if (!ok || !user) {
    await audit("auth.sign_in_failed", "failure", user?.disabledAt ? "account disabled" : "wrong email or password");
    return null;
  }
  if (user.totpEnabledAt && !code) throw new SecondFactorRequiredError();
  const signedIn = await inTransaction(async (tx) => {
    let method: SignInMethod = "password";
    if (user.totpEnabledAt) {
      const factor = await useSecondFactor(tx, user.id, code!, now);
      if (!factor.ok) {
        await appendAuditEvent(
          tx,
          { actor: `user:${user.id}`, action: "auth.sign_in_failed", outcome: "failure", reason: factor.reason, after: { email, address } },
          now,
        );
        return null;
      }
      method = `password and ${factor.kind}`;
      if (factor.kind === "recovery code") await auditRecoveryCodeUsed(tx, user, factor.recoveryCodesLeft ?? 0, "sign-in", now);
    }
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: now } });
    await appendAuditEvent(tx, { actor: `user:${user.id}`, action: "auth.signed_in", reason: method, after: { email, address } }, now);
    return method;
  });
  if (!signedIn) throw new WrongSecondFactorError();
  await clearSignInAttempts(email);
  return { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId, method: signedIn };
}
