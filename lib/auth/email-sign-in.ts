import "server-only";
import type { Adapter, AdapterUser } from "next-auth/adapters";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvent } from "../audit/write";
import { log } from "../log";
import { getMailer } from "../notifications/mailer";
import { renderEmail } from "../notifications/templates";

/** How long a sign-in link works. */
export const SIGN_IN_LINK_MINUTES = 60;
/** At most this many links per address per window, so nobody can flood a customer's inbox. */
export const MAX_LINKS_PER_WINDOW = 5;
export const LINK_WINDOW_MINUTES = 15;

type RekeyAdapterUser = AdapterUser & { role: "admin" | "operator" | "auditor" | "customer" };

const userSelect = { id: true, email: true, role: true, disabledAt: true } as const;
const toAdapterUser = (u: { id: string; email: string; role: RekeyAdapterUser["role"] }): RekeyAdapterUser => ({
  id: u.id,
  email: u.email,
  emailVerified: null,
  role: u.role,
});

/**
 * The little of next-auth's adapter that email links need, over rekey's own
 * tables: verification tokens (next-auth hands over a SHA-256 of the token,
 * never the token) and lookups of existing users. Nobody is created by
 * signing in: customers are invited by staff.
 */
export const rekeyAdapter: Adapter = {
  async getUser(id) {
    const u = await (await getPrisma()).user.findUnique({ where: { id }, select: userSelect });
    return u && !u.disabledAt ? toAdapterUser(u) : null;
  },
  async getUserByEmail(email) {
    const u = await (await getPrisma()).user.findUnique({ where: { email: email.toLowerCase() }, select: userSelect });
    return u && !u.disabledAt ? toAdapterUser(u) : null;
  },
  async getUserByAccount() {
    return null;
  },
  async createUser() {
    throw new Error("rekey does not create users at sign-in; an admin invites them.");
  },
  async updateUser(user) {
    const u = await (await getPrisma()).user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() }, select: userSelect });
    return toAdapterUser(u);
  },
  async linkAccount() {
    throw new Error("rekey has no linked accounts.");
  },
  async createVerificationToken(token) {
    await (await getPrisma()).verificationToken.create({ data: token });
    return token;
  },
  async useVerificationToken({ identifier, token }) {
    // Deleting it is what makes a link work once.
    const prisma = await getPrisma();
    const found = await prisma.verificationToken.findUnique({ where: { identifier_token: { identifier, token } } });
    if (!found) return null;
    const deleted = await prisma.verificationToken.deleteMany({ where: { identifier, token } });
    return deleted.count === 1 ? found : null;
  },
};

/**
 * Emails a sign-in link, only to an active customer and at most
 * MAX_LINKS_PER_WINDOW times per LINK_WINDOW_MINUTES. Whoever asked sees the
 * same answer either way, so the form does not tell which addresses exist.
 * The link is sent at once, not through the outbox: it is a credential and
 * must not wait in the database.
 */
export async function sendSignInLink(email: string, url: string, now: Date): Promise<void> {
  const prisma = await getPrisma();
  const address = email.toLowerCase();
  const user = await prisma.user.findUnique({ where: { email: address }, select: userSelect });
  const since = new Date(now.getTime() - LINK_WINDOW_MINUTES * 60_000);
  const recent = await prisma.auditEvent.count({
    where: { action: "auth.sign_in_link_sent", at: { gte: since }, after: { path: ["email"], equals: address } },
  });
  const audit = (action: string, outcome: "success" | "failure" | "denied", reason: string | null) =>
    inTransaction((tx) => appendAuditEvent(tx, { actor: user ? `user:${user.id}` : "anonymous", action, outcome, reason, after: { email: address } }, now));
  if (!user || user.disabledAt || user.role !== "customer") {
    await audit("auth.sign_in_link_refused", "denied", !user ? "no such customer" : user.disabledAt ? "account disabled" : "staff sign in with a password");
    return;
  }
  if (recent >= MAX_LINKS_PER_WINDOW) {
    await audit("auth.sign_in_link_refused", "denied", `more than ${MAX_LINKS_PER_WINDOW} links in ${LINK_WINDOW_MINUTES} minutes`);
    return;
  }
  const mail = await renderEmail("sign_in", { appUrl: new URL(url).origin, portalUrl: new URL(url).origin, signInUrl: url, linkMinutes: SIGN_IN_LINK_MINUTES });
  try {
    // The idempotency key names this link's moment: each request is its own email.
    await getMailer().send({ to: address, ...mail, idempotencyKey: `sign_in:${user.id}:${now.toISOString()}` });
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, "sign-in link email failed");
    await audit("auth.sign_in_link_failed", "failure", "the email could not be sent");
    throw new Error("The sign-in email could not be sent. Try again in a minute.");
  }
  await audit("auth.sign_in_link_sent", "success", null);
}
