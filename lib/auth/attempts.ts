import "server-only";
import { TooManyRequestsError, ValidationError } from "../errors";
import { createRateLimit } from "../http/rate-limit";

export const MAX_FAILED_SIGN_INS = 5;
export const LOCKOUT_MINUTES = 15;
/** Per address, across accounts: password spraying. */
export const MAX_SIGN_INS_PER_ADDRESS = 30;

export class SignInLockedError extends ValidationError {}

// Attempts are counted before anything is checked, in one atomic upsert
// shared by every instance (lib/http/rate-limit.ts): of any number of
// attempts sent at once, at most MAX_FAILED_SIGN_INS reach the check. A
// password, a multi-factor code and a re-authentication on the account page
// all count against the same per-account limit, so none of them can be
// guessed faster than the others.
const perAccount = createRateLimit({ name: "sign-in:account", points: MAX_FAILED_SIGN_INS, durationSeconds: LOCKOUT_MINUTES * 60 });
const perAddress = createRateLimit({ name: "sign-in:address", points: MAX_SIGN_INS_PER_ADDRESS, durationSeconds: LOCKOUT_MINUTES * 60 });

/**
 * Counts one attempt for the account (its email) and, when given, the
 * address; past either limit, throws SignInLockedError after `onLocked`
 * (which audits the lockout) has run.
 */
export async function takeSignInAttempt(email: string, address: string | null, now: Date, onLocked: (reason: string) => Promise<void>): Promise<void> {
  const limits = [[perAccount, email, "for this email"] as const, ...(address === null ? [] : [[perAddress, address, "from this address"] as const])];
  for (const [limit, subject, whose] of limits) {
    try {
      await limit.take(subject, `sign-in attempts ${whose}`, now);
    } catch (error) {
      if (!(error instanceof TooManyRequestsError)) throw error;
      await onLocked(`locked out: too many attempts ${whose}`);
      const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
      throw new SignInLockedError(`Too many sign-in attempts ${whose}. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`);
    }
  }
}

/** A complete sign-in (or re-authentication) clears the account's count, so typos now and then never lock anyone out. */
export async function clearSignInAttempts(email: string): Promise<void> {
  await perAccount.reset(email);
}
