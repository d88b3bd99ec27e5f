import "server-only";
import { getPrisma, inTransaction, type Tx } from "../db";
import { appendAuditEvent, appendAuditEvents } from "../audit/write";
import { NotFoundError } from "../errors";
import type { Actor } from "./actor";
import { isStaffMfaRequired } from "./mfa";
import type { Role } from "./permissions";

/**
 * Sessions are rows, not just signed cookies: the cookie (a next-auth JWT)
 * names a row by its id, and the row decides. Signing out, disabling a user,
 * changing their role and "sign out everywhere" end the row, so every copy
 * of the cookie stops working at once. A session ends for good after
 * SESSION_MAX_AGE_SECONDS however active it is, and after
 * SESSION_IDLE_SECONDS without a request; neither slides.
 */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;
export const SESSION_IDLE_SECONDS = 30 * 60;
/** lastSeenAt is written at most this often per session: a page view is not a write. */
const TOUCH_EVERY_MS = 60_000;

export type SignInMethod = "password" | "password and authenticator code" | "password and recovery code" | "passkey" | "email link";

/** The user a live session belongs to, read with the session (the cookie is trusted for nothing but the session's id). */
export interface SessionUser {
  sessionId: string;
  userId: string;
  email: string;
  role: Role;
  organizationId: string | null;
  /** When this session's sign-in happened. */
  signedInAt: Date;
  /** The user still holds a password someone else chose. */
  mustChangePassword: boolean;
  /** Staff without multi-factor sign-in while an admin requires it: enrolling comes before anything else. */
  mustEnrollMfa: boolean;
}

export interface SessionInfo {
  userAgent?: string | null;
  ipAddress?: string | null;
}

/** Opens a session for a user who has just proved who they are; returns its id. */
export async function startSession(userId: string, method: SignInMethod, info: SessionInfo, now: Date): Promise<string> {
  const prisma = await getPrisma();
  const row = await prisma.userSession.create({
    data: {
      userId,
      method,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_MAX_AGE_SECONDS * 1000),
      userAgent: info.userAgent?.slice(0, 300) || null,
      ipAddress: info.ipAddress?.slice(0, 100) || null,
    },
    select: { id: true },
  });
  return row.id;
}

/** Why a session that has not been ended is no longer usable at `now`, or null if it is. */
function lapse(s: { expiresAt: Date; lastSeenAt: Date }, disabled: boolean, now: Date): string | null {
  if (disabled) return "user disabled";
  if (now >= s.expiresAt) return `reached its ${SESSION_MAX_AGE_SECONDS / 3600} h limit`;
  if (now.getTime() - s.lastSeenAt.getTime() >= SESSION_IDLE_SECONDS * 1000) return `idle for ${SESSION_IDLE_SECONDS / 60} minutes`;
  return null;
}

/**
 * The session's user if the session is live at `now` (and it counts as
 * seen); else null, and a session that has just lapsed is ended, audited,
 * so it cannot come back (re-enabling a user does not revive old cookies).
 */
export async function checkSession(sessionId: string, now: Date): Promise<SessionUser | null> {
  if (!isUuid(sessionId)) return null;
  const prisma = await getPrisma();
  const s = await prisma.userSession.findUnique({
    where: { id: sessionId },
    select: {
      id: true,
      method: true,
      createdAt: true,
      lastSeenAt: true,
      expiresAt: true,
      endedAt: true,
      user: { select: { id: true, email: true, role: true, organizationId: true, disabledAt: true, passwordChangeRequired: true, totpEnabledAt: true } },
    },
  });
  if (!s || s.endedAt) return null;
  const why = lapse(s, !!s.user.disabledAt, now);
  if (why) {
    await inTransaction((tx) => endSessions(tx, { id: s.id }, why, "lapse", now));
    return null;
  }
  if (now.getTime() - s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await prisma.userSession.updateMany({ where: { id: s.id, endedAt: null }, data: { lastSeenAt: now } });
  }
  // The setting is read only for staff not enrolled: everyone else's request costs no extra query.
  // A passkey (user verification required) is multi-factor in itself: its session needs no authenticator app.
  const mustEnrollMfa = s.user.role !== "customer" && !s.user.totpEnabledAt && s.method !== "passkey" && (await isStaffMfaRequired());
  return {
    sessionId: s.id,
    userId: s.user.id,
    email: s.user.email,
    role: s.user.role,
    organizationId: s.user.organizationId,
    signedInAt: s.createdAt,
    mustChangePassword: s.user.passwordChangeRequired,
    mustEnrollMfa,
  };
}

/**
 * Ends the open sessions `where` selects, in the caller's transaction, with
 * one audit event each; returns how many ended. The one place a session ends.
 */
export async function endSessions(
  tx: Tx,
  where: { id?: string; userId?: string; notId?: string },
  reason: string,
  actor: Actor | "lapse",
  now: Date,
): Promise<number> {
  const ended = await tx.$queryRaw<{ id: string; userId: string; email: string; organizationId: string | null }[]>`
    UPDATE user_sessions s SET "endedAt" = ${now}, "endedReason" = ${reason}
    FROM users u
    WHERE u.id = s."userId" AND s."endedAt" IS NULL
      AND (${where.id ?? null}::text IS NULL OR s.id = ${where.id ?? null})
      AND (${where.userId ?? null}::text IS NULL OR s."userId" = ${where.userId ?? null})
      AND (${where.notId ?? null}::text IS NULL OR s.id <> ${where.notId ?? null})
    RETURNING s.id, s."userId", u.email, u."organizationId"`;
  if (ended.length === 0) return 0;
  await appendAuditEvents(
    tx,
    ended.map((s) => ({
      // A lapse (time limit, idle, disabled) is recorded as the session's own end.
      actor: actor === "lapse" ? (`user:${s.userId}` as const) : actor,
      action: "auth.session_ended",
      organizationId: s.organizationId,
      reason,
      after: { sessionId: s.id, email: s.email },
    })),
    now,
  );
  return ended.length;
}

/** Signing out: ends the session the cookie names. */
export async function signOutSession(sessionId: string | undefined, now: Date): Promise<void> {
  if (!sessionId || !isUuid(sessionId)) return;
  await inTransaction(async (tx) => {
    const s = await tx.userSession.findUnique({ where: { id: sessionId }, select: { userId: true } });
    if (s) await endSessions(tx, { id: sessionId }, "signed out", `user:${s.userId}`, now);
  });
}

/** Sessions still usable at `now`: not ended, within their time limit, not idle too long. */
function openAt(now: Date) {
  return { endedAt: null, expiresAt: { gt: now }, lastSeenAt: { gt: new Date(now.getTime() - SESSION_IDLE_SECONDS * 1000) } };
}

/** A user's sessions still open, newest first (their own page, or an admin's view of them). */
export async function listOpenSessions(userId: string, now: Date) {
  const prisma = await getPrisma();
  const rows = await prisma.userSession.findMany({
    where: { userId, ...openAt(now) },
    orderBy: { lastSeenAt: "desc" },
    select: { id: true, method: true, createdAt: true, lastSeenAt: true, expiresAt: true, userAgent: true, ipAddress: true },
  });
  return rows;
}

/** Open sessions per user id (the users page). */
export async function countOpenSessions(now: Date): Promise<Map<string, number>> {
  const prisma = await getPrisma();
  const rows = await prisma.userSession.groupBy({
    by: ["userId"],
    where: openAt(now),
    _count: { _all: true },
  });
  return new Map(rows.map((r) => [r.userId, r._count._all]));
}

/** A user ends one of their own sessions. */
export async function endOwnSession(userId: string, sessionId: string, now: Date): Promise<void> {
  await inTransaction(async (tx) => {
    const s = await tx.userSession.findUnique({
      where: { id: isUuid(sessionId) ? sessionId : "00000000-0000-0000-0000-000000000000" },
      select: { userId: true, endedAt: true },
    });
    if (!s || s.userId !== userId) throw new NotFoundError("No such session.");
    await endSessions(tx, { id: sessionId }, "ended by its user", `user:${userId}`, now);
  });
}

/** Ends every session of a user but `keep` (their own "sign out everywhere else", or an admin's "sign out everywhere"). */
export async function endAllSessions(userId: string, actor: Actor, reason: string, now: Date, keep?: string): Promise<number> {
  return inTransaction(async (tx) => {
    const user = await tx.user.findUnique({ where: { id: userId }, select: { email: true, organizationId: true } });
    if (!user) throw new NotFoundError("No such user.");
    const n = await endSessions(tx, { userId, notId: keep }, reason, actor, now);
    await appendAuditEvent(
      tx,
      { actor, action: "auth.signed_out_everywhere", organizationId: user.organizationId, reason, after: { email: user.email, sessionsEnded: n } },
      now,
    );
    return n;
  });
}

function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}
