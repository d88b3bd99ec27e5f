"use server";

import { z } from "zod";
import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { changePasswordSchema, sessionIdSchema, userIdSchema } from "@/lib/auth/schemas";
import { endAllSessions, endOwnSession } from "@/lib/auth/sessions";
import { changeOwnPassword } from "@/lib/auth/users";

const endOne = serverAction("account:manage", sessionIdSchema, async ({ sessionId }, viewer, now) => {
  await endOwnSession(viewer.userId, sessionId, now);
  revalidatePath("/", "layout");
  return { message: sessionId === viewer.sessionId ? "This session has ended." : "That session has ended: whoever held it is signed out." };
});

const endOthers = serverAction("account:manage", z.object({}), async (_input, viewer, now) => {
  const n = await endAllSessions(viewer.userId, `user:${viewer.userId}`, "signed out everywhere else", now, viewer.sessionId);
  revalidatePath("/", "layout");
  return { message: n === 0 ? "No other session was open." : `Signed out everywhere else: ${n} session${n === 1 ? "" : "s"} ended.` };
});

const changePassword = serverAction("account:manage", changePasswordSchema, async (input, viewer, now) => {
  const { sessionsEnded } = await changeOwnPassword(viewer.userId, input, viewer.sessionId, now);
  revalidatePath("/", "layout");
  return { message: `Your password is changed.${sessionsEnded ? ` Your ${sessionsEnded} other session${sessionsEnded === 1 ? " has" : "s have"} ended.` : ""}` };
});

const endUsers = serverAction("users:manage", userIdSchema, async ({ userId }, viewer, now) => {
  const n = await endAllSessions(userId, `user:${viewer.userId}`, "signed out everywhere by an admin", now, userId === viewer.userId ? viewer.sessionId : undefined);
  revalidatePath("/dashboard/users");
  return { message: `${n} session${n === 1 ? "" : "s"} ended.` };
});

/** Ends one of the viewer's own sessions (this one included: that is signing out). */
export async function endSessionAction(input: unknown) {
  return endOne(input);
}

/** Ends every session of the viewer but the one asking. */
export async function endOtherSessionsAction(input: unknown) {
  return endOthers(input);
}

/** Staff change their own password. */
export async function changePasswordAction(input: unknown) {
  return changePassword(input);
}

/** An admin ends every session of a user ("sign out everywhere"). */
export async function signOutUserEverywhereAction(input: unknown) {
  return endUsers(input);
}
