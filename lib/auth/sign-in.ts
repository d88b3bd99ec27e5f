import "server-only";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { parseInput } from "../validation";
import { ValidationError } from "../errors";
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

/**
 * Checks a staff member's email and password. Every failure is audited;
 * after MAX_FAILED_SIGN_INS failures for an email within LOCKOUT_MINUTES,
 * even the right password is refused until the window passes. The count
 * lives in the audit trail, so it holds across instances.
 */
export async function authenticateStaff(input: { email: string; password: string }, now: Date): Promise<SignedInUser | null> {
  const { email, password } = parseInput(signInSchema, input);
  const prisma = await getPrisma();
  const since = new Date(now.getTime() - LOCKOUT_MINUTES * 60_000);
  const failures = await prisma.auditEvent.count({
    where: { action: "auth.sign_in_failed", at: { gte: since }, after: { path: ["email"], equals: email } },
  });
  const user = await prisma.user.findUnique({ where: { email }, omit: { passwordHash: false } });
  const audit = (action: string, outcome: "success" | "failure" | "denied", reason: string | null) =>
    inTransaction((tx) => appendAuditEvent(tx, { actor: user ? `user:${user.id}` : "anonymous", action, reason, outcome, after: { email } }, now));

  if (failures >= MAX_FAILED_SIGN_INS) {
    await burnPasswordCheck(password);
    await audit("auth.sign_in_failed", "denied", "locked out after repeated failures");
    throw new SignInLockedError(`Too many failed sign-ins for this email. Try again in ${LOCKOUT_MINUTES} minutes.`);
  }
  const usable = user && user.passwordHash && !user.disabledAt && user.role !== "customer";
  const ok = usable ? await verifyPassword(user.passwordHash!, password) : (await burnPasswordCheck(password), false);
  if (!ok || !user) {
    await audit("auth.sign_in_failed", "failure", user?.disabledAt ? "account disabled" : "wrong email or password");
    return null;
  }
  await inTransaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: now } });
    await appendAuditEvent(tx, { actor: `user:${user.id}`, action: "auth.signed_in", after: { email } }, now);
  });
  return { id: user.id, email: user.email, role: user.role, organizationId: user.organizationId };
}
