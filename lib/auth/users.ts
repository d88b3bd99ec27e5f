import "server-only";
import { randomBytes } from "node:crypto";
import { getPrisma, inTransaction, type Tx } from "../db";
import { appendAuditEvents } from "../audit/write";
import { checkNewPassword, hashPassword, verifyPassword } from "./passwords";
import type { Role } from "./permissions";
import { parseInput } from "../validation";
import { ConflictError, NotFoundError, ValidationError } from "../errors";
import { appendAuditEvent } from "../audit/write";
import { changePasswordSchema, changeRoleSchema, inviteUserSchema, setDisabledSchema } from "./schemas";
import { endSessions } from "./sessions";
import { env } from "../env";
import type { Context } from "../context";

/**
 * Creates the first admin when there is none: from REKEY_ADMIN_EMAIL and
 * REKEY_ADMIN_PASSWORD, else admin@rekey.local with a generated password that
 * the caller prints once. Null when an admin exists.
 */
export async function ensureFirstAdmin(now: Date): Promise<{ email: string; password: string; generated: boolean } | null> {
  const prisma = await getPrisma();
  if (await prisma.user.count({ where: { role: "admin" } })) return null;
  const email = env("REKEY_ADMIN_EMAIL").toLowerCase();
  const given = env("REKEY_ADMIN_PASSWORD");
  const password = given ?? randomBytes(15).toString("base64url");
  await createUsers([{ email, role: "admin", name: "Administrator", password }], { actor: "bootstrap", now });
  return { email, password, generated: !given };
}

export interface NewUser {
  email: string;
  name?: string;
  role: Role;
  organizationId?: string | null;
  password?: string;
  /** A password someone else chose (an invitation's one-time password): the user must replace it at first sign-in. */
  passwordChangeRequired?: boolean;
}

/** Creates users (their passwords hashed with Argon2id), audited. */
export async function createUsers(users: NewUser[], { actor, now }: Context) {
  const rows = await Promise.all(
    users.map(async (u) => ({
      email: u.email.toLowerCase(),
      name: u.name ?? null,
      role: u.role,
      organizationId: u.organizationId ?? null,
      passwordHash: u.password ? await hashPassword(u.password) : null,
      passwordChangeRequired: !!u.password && !!u.passwordChangeRequired,
      createdAt: now,
    })),
  );
  return inTransaction(async (tx) => {
    const created = await Promise.all(rows.map((data) => tx.user.create({ data, select: { id: true, email: true, role: true, organizationId: true } })));
    await appendAuditEvents(
      tx,
      created.map((u) => ({ actor, action: "user.created", organizationId: u.organizationId, after: { email: u.email, role: u.role } })),
      now,
    );
    return created;
  }, "A user with that email already exists.");
}

/**
 * Invites a user. Staff get a one-time password, returned here once for the
 * admin to hand over (email invitations come with the outbox's delivery);
 * customers sign in by email link and get none.
 */
export async function inviteUser(input: { email: string; name?: string; role: string; organizationId?: string | null }, { actor, now }: Context) {
  const data = parseInput(inviteUserSchema, input);
  const prisma = await getPrisma();
  if (data.organizationId && !(await prisma.organization.findUnique({ where: { id: data.organizationId }, select: { id: true } }))) {
    throw new NotFoundError("organizationId: no such organization");
  }
  const password = data.role === "customer" ? undefined : randomBytes(15).toString("base64url");
  const [user] = await createUsers([{ ...data, password, passwordChangeRequired: true }], { actor, now });
  return { user, password };
}

/**
 * A user replaces their own password, proving it with the current one. The
 * new one must be long and hard to guess (checkNewPassword); every other
 * session of theirs ends, since whoever knew the old password may hold one.
 */
export async function changeOwnPassword(
  userId: string,
  input: { currentPassword: string; newPassword: string },
  currentSessionId: string,
  now: Date,
): Promise<{ sessionsEnded: number }> {
  const { currentPassword, newPassword } = parseInput(changePasswordSchema, input);
  const prisma = await getPrisma();
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, name: true, role: true, organizationId: true, passwordHash: true, disabledAt: true },
  });
  if (!user || user.disabledAt) throw new NotFoundError("No such user.");
  if (!user.passwordHash || user.role === "customer") throw new ValidationError("Customers sign in with an emailed link and have no password.");
  if (!(await verifyPassword(user.passwordHash, currentPassword))) {
    await inTransaction((tx) =>
      appendAuditEvent(
        tx,
        { actor: `user:${userId}`, action: "user.password_change_failed", outcome: "failure", reason: "wrong current password", after: { email: user.email } },
        now,
      ),
    );
    throw new ValidationError("currentPassword: is not your current password", "currentPassword");
  }
  if (currentPassword === newPassword) throw new ValidationError("newPassword: must differ from the current one", "newPassword");
  await checkNewPassword(newPassword, [user.email, user.name ?? ""]);
  const passwordHash = await hashPassword(newPassword);
  return inTransaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { passwordHash, passwordChangeRequired: false } });
    await appendAuditEvent(
      tx,
      { actor: `user:${userId}`, action: "user.password_changed", organizationId: user.organizationId, after: { email: user.email } },
      now,
    );
    const sessionsEnded = await endSessions(tx, { userId, notId: currentSessionId }, "password changed", `user:${userId}`, now);
    return { sessionsEnded };
  });
}

/** Active admins other than this user; inside the caller's transaction (PGlite has one connection). */
function adminsLeft(tx: Tx, exceptUserId: string) {
  return tx.user.count({ where: { role: "admin", disabledAt: null, id: { not: exceptUserId } } });
}

/** Changes a user's role; the last active admin cannot be demoted. */
export async function changeUserRole(input: { userId: string; role: string }, { actor, now }: Context) {
  const { userId, role } = parseInput(changeRoleSchema, input);
  return inTransaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true, role: true, email: true, organizationId: true } });
    if (!user) throw new NotFoundError("No such user.");
    if (user.role === role) throw new ConflictError(`${user.email} is already ${role}.`);
    if (user.role === "admin" && (await adminsLeft(tx, user.id)) === 0)
      throw new ConflictError("This is the last active admin: make someone else admin first.");
    if ((role === "customer") !== (user.role === "customer"))
      throw new ValidationError("role: a customer cannot become staff or the reverse; invite a new user instead", "role");
    const updated = await tx.user.update({ where: { id: userId }, data: { role } });
    await appendAuditEvent(
      tx,
      { actor, action: "user.role_changed", organizationId: user.organizationId, before: { email: user.email, role: user.role }, after: { role } },
      now,
    );
    // A session carries what its role allowed when it began: the user signs in again under the new one.
    await endSessions(tx, { userId }, `role changed to ${role}`, actor, now);
    return updated;
  });
}

/**
 * Disables a user (every session ends at once; re-enabling revives none of
 * them) or re-enables one; nobody disables themselves or the last admin.
 */
export async function setUserDisabled(input: { userId: string; disabled: boolean }, { actor, now }: Context) {
  const { userId, disabled } = parseInput(setDisabledSchema, input);
  if (actor === `user:${userId}` && disabled) throw new ConflictError("You cannot disable yourself.");
  return inTransaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { id: true, role: true, email: true, disabledAt: true, organizationId: true } });
    if (!user) throw new NotFoundError("No such user.");
    if (disabled && user.role === "admin" && (await adminsLeft(tx, user.id)) === 0) throw new ConflictError("This is the last active admin.");
    const updated = await tx.user.update({ where: { id: userId }, data: { disabledAt: disabled ? now : null } });
    await appendAuditEvent(
      tx,
      { actor, action: disabled ? "user.disabled" : "user.enabled", organizationId: user.organizationId, after: { email: user.email } },
      now,
    );
    if (disabled) await endSessions(tx, { userId }, "user disabled", actor, now);
    return updated;
  });
}

/** Every user, staff first, with their organization and how many passkeys they have. */
export async function listUsers() {
  const prisma = await getPrisma();
  return prisma.user.findMany({
    orderBy: [{ role: "asc" }, { email: "asc" }],
    include: { organization: { select: { name: true } }, _count: { select: { passkeys: true } } },
  });
}
