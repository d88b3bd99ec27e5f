"use server";

import { z } from "zod";
import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import {
  addPasskeySchema,
  changePasswordSchema,
  confirmMfaSchema,
  finishPasskeySchema,
  mfaReauthSchema,
  removePasskeySchema,
  sessionIdSchema,
  startMfaSchema,
  userIdSchema,
} from "@/lib/auth/schemas";
import { confirmMfaEnrolment, disableOwnMfa, regenerateRecoveryCodes, resetUserMfa, startMfaEnrolment, type Enrolment } from "@/lib/auth/mfa";
import { endAllSessions, endOwnSession } from "@/lib/auth/sessions";
import { changeOwnPassword } from "@/lib/auth/users";
import { finishPasskeyRegistration, removePasskey, startPasskeyRegistration } from "@/lib/auth/passkeys";

/** Ends one of the viewer's own sessions (this one included: that is signing out). */
export const endSessionAction = serverAction("account:manage", sessionIdSchema, async ({ sessionId }, { viewer, now }) => {
  await endOwnSession(viewer.userId, sessionId, now);
  revalidatePath("/", "layout");
  return { message: sessionId === viewer.sessionId ? "This session has ended." : "That session has ended: whoever held it is signed out." };
});

/** Ends every session of the viewer but the one asking. */
export const endOtherSessionsAction = serverAction("account:manage", z.object({}), async (_input, { viewer, actor, now }) => {
  const n = await endAllSessions(viewer.userId, actor, "signed out everywhere else", now, viewer.sessionId);
  revalidatePath("/", "layout");
  return { message: n === 0 ? "No other session was open." : `Signed out everywhere else: ${n} session${n === 1 ? "" : "s"} ended.` };
});

/** Staff change their own password. */
export const changePasswordAction = serverAction("account:manage", changePasswordSchema, async (input, { viewer, now }) => {
  const { sessionsEnded } = await changeOwnPassword(viewer.userId, input, viewer.sessionId, now);
  revalidatePath("/", "layout");
  return {
    message: `Your password is changed.${sessionsEnded ? ` Your ${sessionsEnded} other session${sessionsEnded === 1 ? " has" : "s have"} ended.` : ""}`,
  };
});

/** An admin ends every session of a user ("sign out everywhere"). */
export const signOutUserEverywhereAction = serverAction("users:manage", userIdSchema, async ({ userId }, { viewer, actor, now }) => {
  const n = await endAllSessions(userId, actor, "signed out everywhere by an admin", now, userId === viewer.userId ? viewer.sessionId : undefined);
  revalidatePath("/dashboard/users");
  return { message: `${n} session${n === 1 ? "" : "s"} ended.` };
});

/** Staff start setting up multi-factor sign-in (after their password): the seed, once, as a QR code and as text. */
export const startMfaEnrolmentAction = serverAction("account:manage", startMfaSchema, async (input, { viewer, now }) => {
  const data: Enrolment = await startMfaEnrolment(viewer.userId, input, now);
  return { message: "Scan the QR code with your authenticator app, then enter the code it shows.", data };
});

/** Staff confirm enrolment with a code from their app; answers the recovery codes, once. */
export const confirmMfaEnrolmentAction = serverAction("account:manage", confirmMfaSchema, async (input, { viewer, now }) => {
  const data = await confirmMfaEnrolment(viewer.userId, input, viewer.sessionId, now);
  revalidatePath("/", "layout");
  return { message: "Multi-factor sign-in is on. Your other sessions have ended.", data };
});

/** Staff replace their recovery codes (password and a current code); answers the new ones, once. */
export const regenerateRecoveryCodesAction = serverAction("account:manage", mfaReauthSchema, async (input, { viewer, now }) => {
  const data = await regenerateRecoveryCodes(viewer.userId, input, now);
  revalidatePath("/", "layout");
  return { message: "New recovery codes: the old ones no longer work.", data };
});

/** Staff turn their multi-factor sign-in off (password and a current code), where allowed. */
export const disableMfaAction = serverAction("account:manage", mfaReauthSchema, async (input, { viewer, now }) => {
  await disableOwnMfa(viewer.userId, input, now);
  revalidatePath("/", "layout");
  return { message: "Multi-factor sign-in is off: your password alone signs you in." };
});

/** An admin resets another staff member's multi-factor sign-in (a lost device); their sessions end. */
export const resetUserMfaAction = serverAction("users:manage", userIdSchema, async (input, { actor, now }) => {
  const { email } = await resetUserMfa(input, { actor, now });
  revalidatePath("/dashboard/users");
  return { message: `Multi-factor sign-in of ${email} is reset and their sessions have ended.` };
});

/** Staff start adding a passkey (after their password, and a code once multi-factor sign-in is on): the browser's creation options. */
export const startPasskeyRegistrationAction = serverAction("account:manage", addPasskeySchema, async (input, { viewer, now }) => {
  const data = await startPasskeyRegistration(viewer.userId, input, now);
  return { message: "Follow your browser's prompt to make the passkey.", data };
});

/** Staff finish adding a passkey with the authenticator's answer and a name for it. */
export const finishPasskeyRegistrationAction = serverAction("account:manage", finishPasskeySchema, async (input, { viewer, now }) => {
  const { name } = await finishPasskeyRegistration(viewer.userId, input, now);
  revalidatePath("/", "layout");
  return { message: `Passkey "${name}" added: it signs you in with no password.` };
});

/** Staff remove one of their passkeys (after their password, and a code once multi-factor sign-in is on). */
export const removePasskeyAction = serverAction("account:manage", removePasskeySchema, async (input, { viewer, now }) => {
  const { name } = await removePasskey(viewer.userId, input, now);
  revalidatePath("/", "layout");
  return { message: `Passkey "${name}" removed: it no longer signs you in.` };
});
