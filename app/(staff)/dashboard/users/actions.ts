"use server";

import { revalidatePath } from "next/cache";
import { serverAction } from "@/lib/http/server-action";
import { changeRoleSchema, inviteUserSchema, setDisabledSchema } from "@/lib/auth/schemas";
import { changeUserRole, inviteUser, setUserDisabled } from "@/lib/auth/users";
import { requireStaffMfaSchema } from "@/lib/auth/schemas";
import { setStaffMfaRequired } from "@/lib/auth/mfa";

/** Invites a user (admin only). */
export const inviteUserAction = serverAction("users:manage", inviteUserSchema, async (input, { actor, now }) => {
  const { user, password } = await inviteUser(input, { actor, now });
  revalidatePath("/dashboard/users");
  return {
    message: password
      ? `Invited ${user.email}. Give them this one-time password; it is not shown again.`
      : `Invited ${user.email}: they sign in with an email link.`,
    data: { password: password ?? null },
  };
});

/** Changes a user's role (admin only). */
export const changeUserRoleAction = serverAction("users:manage", changeRoleSchema, async (input, { actor, now }) => {
  const user = await changeUserRole(input, { actor, now });
  revalidatePath("/dashboard/users");
  return { message: `${user.email} is now ${user.role}.` };
});

/** Disables or re-enables a user (admin only). */
export const setUserDisabledAction = serverAction("users:manage", setDisabledSchema, async (input, { actor, now }) => {
  const user = await setUserDisabled(input, { actor, now });
  revalidatePath("/dashboard/users");
  return { message: `${user.email} is ${user.disabledAt ? "disabled" : "enabled"}.` };
});

/** Requires multi-factor sign-in for all staff, or stops requiring it (admin only). */
export const setStaffMfaRequiredAction = serverAction("users:manage", requireStaffMfaSchema, async (input, { actor, now }) => {
  await setStaffMfaRequired(input, { actor, now });
  revalidatePath("/dashboard/users");
  return {
    message: input.required
      ? "Multi-factor sign-in is now required for all staff: anyone without it sets it up at their next page."
      : "Multi-factor sign-in is now optional for staff (admins who set it up keep it).",
  };
});
