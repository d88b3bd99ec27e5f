import "server-only";
import { randomBytes } from "node:crypto";
import { getPrisma, inTransaction } from "../db";
import { appendAuditEvents } from "../audit/write";
import type { Actor } from "./actor";
import { hashPassword } from "./passwords";
import type { Role } from "./permissions";

/**
 * Creates the first admin when there is none: from REKEY_ADMIN_EMAIL and
 * REKEY_ADMIN_PASSWORD, else admin@rekey.local with a generated password that
 * the caller prints once. Null when an admin exists.
 */
export async function ensureFirstAdmin(now: Date): Promise<{ email: string; password: string; generated: boolean } | null> {
  const prisma = await getPrisma();
  if (await prisma.user.count({ where: { role: "admin" } })) return null;
  const email = (process.env.REKEY_ADMIN_EMAIL ?? "admin@rekey.local").toLowerCase();
  const given = process.env.REKEY_ADMIN_PASSWORD;
  const password = given ?? randomBytes(15).toString("base64url");
  await createUsers([{ email, role: "admin", name: "Administrator", password }], "bootstrap", now);
  return { email, password, generated: !given };
}

export interface NewUser {
  email: string;
  name?: string;
  role: Role;
  organizationId?: string | null;
  password?: string;
}

/** Creates users (their passwords hashed with Argon2id), audited. */
export async function createUsers(users: NewUser[], actor: Actor, now: Date) {
  const rows = await Promise.all(
    users.map(async (u) => ({
      email: u.email.toLowerCase(),
      name: u.name ?? null,
      role: u.role,
      organizationId: u.organizationId ?? null,
      passwordHash: u.password ? await hashPassword(u.password) : null,
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
