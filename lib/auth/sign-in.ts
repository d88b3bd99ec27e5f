import "server-only";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { TooManyRequestsError, ValidationError } from "../errors";
import { createRateLimit } from "../http/rate-limit";
import { burnPasswordCheck, verifyPassword } from "./passwords";
import { signInSchema } from "./schemas";
import type { Role } from "./permissions";

export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MINUTES = 15;

export class SignInLockedError extends ValidationError {}

export interface SignedInUser {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
}

// Attempts are counted before the password is checked, in one atomic upsert
// shared by every instance (lib/http/rate-limit.ts): of any number of
// attempts sent at once, at most MAX_FAILED_SIGN_INS reach the password check.
const perAccount = createRateLimit({ name: "sign-in:account", points: MAX_FAILED_SIGN_INS, durationSeconds: LOCKOUT_MINUTES * 60 });
/** Per address, across accounts: password spraying. */
export const MAX_SIGN_INS_PER_ADDRESS = 30;
const perAddress = createRateLimit({ name: "sign-in:address", points: MAX_SIGN_INS_PER_ADDRESS, durationSeconds: LOCKOUT_MINUTES * 60 });

/**
 * Checks a staff member's email and password. Each attempt is counted,
 * atomically and before the password is checked, against its email (at most
 * MAX_FAILED_SIGN_INS in a LOCKOUT_MINUTES window; a success clears the
 * count) and its address (MAX_SIGN_INS_PER_ADDRESS): past either, even the
 * right password is refused until the window ends, so the lockout cannot be
 * raced. Every failure and lockout is audited, never with the password.
 */
export async function authenticateStaff(input: { email: string; password: string }, now: Date, address = "unknown"): Promise<SignedInUser | null> {
  const { email, password } = parseInput(signInSchema, input);
  const prisma = await getPrisma();
  const user = await prisma.user.findUnique({ where: { email }, omit: { passwordHash: false } });
  const audit = (action: string, outcome: "success" | "failure" | "denied", reason: string | null) =>
    inTransaction((tx) => appendAuditEvent(tx, { actor: user ? `user:${user.id}` : "anonymous", action, reason, outcome, after: { email, address } }, now));

  const limits = [
    [perAccount, email, "for this email"],
    [perAddress, address, "from this address"],
  ] as const;
  for (const [limit, subject, whose] of limits) {
    try {
      await limit.take(subject, `sign-in attempts ${whose}`, now);
    } catch (error) {
      if (!(error instanceof TooManyRequestsError)) throw error;
      await burnPasswordCheck(password);
      await audit("auth.sign_in_failed", "denied", `locked out: too many attempts ${whose}`);
      const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
      throw new SignInLockedError(`Too many sign-in attempts ${whose}. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
    }
  }
  const usable = user && user.passwordHash && !user.disabledAt && user.role !== "customer";
  const ok = usable ? await verifyPassword(user.passwordHash!, password) : (await burnPasswordCheck(password), false);
  if (!ok || !user) {
    await audit("auth.sign_in_failed", "failure", user?.disabledAt ? "account disabled" : "wrong email or password");
    return null;
  }
  await perAccount.reset(email);
  await inTransaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: now } });
    await appendAuditEvent(tx, { actor: `user:${user.id}`, action: "auth.signed_in", after: { email, address } }, now);
  });
  return { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId };
}
