"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { changeRoleSchema, inviteUserSchema, setDisabledSchema } from "@/lib/auth/schemas";
import { changeUserRole, inviteUser, setUserDisabled } from "@/lib/auth/users";
import { requireStaffMfaSchema } from "@/lib/auth/schemas";
import { setStaffMfaRequired } from "@/lib/auth/mfa";

const invite = serverAction("users:manage", inviteUserSchema, async (input, viewer, now) => {
  const { user, password } = await inviteUser(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/users");
  return {
    message: password
      ? `Invited ${user.email}. Give them this one-time password; it is not shown again.`
      : `Invited ${user.email}: they sign in with an email link.`,
    data: { password: password ?? null },
  };
});

const changeRole = serverAction("users:manage", changeRoleSchema, async (input, viewer, now) => {
  const user = await changeUserRole(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/users");
  return { message: `${user.email} is now ${user.role}.` };
});

const setDisabled = serverAction("users:manage", setDisabledSchema, async (input, viewer, now) => {
  const user = await setUserDisabled(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/users");
  return { message: `${user.email} is ${user.disabledAt ? "disabled" : "enabled"}.` };
});

const requireMfa = serverAction("users:manage", requireStaffMfaSchema, async (input, viewer, now) => {
  await setStaffMfaRequired(input, `user:${viewer.userId}`, now);
  revalidatePath("/dashboard/users");
  return {
    message: input.required
      ? "Multi-factor sign-in is now required for all staff: anyone without it sets it up at their next page."
      : "Multi-factor sign-in is now optional for staff (admins who set it up keep it).",
  };
});

/** Requires multi-factor sign-in for all staff, or stops requiring it (admin only). */
export async function setStaffMfaRequiredAction(input: unknown) {
  return requireMfa(input);
}

/** Invites a user (admin only). */
export async function inviteUserAction(input: unknown) {
  return invite(input);
}

/** Changes a user's role (admin only). */
export async function changeUserRoleAction(input: unknown) {
  return changeRole(input);
}

/** Disables or re-enables a user (admin only). */
export async function setUserDisabledAction(input: unknown) {
  return setDisabled(input);
}
