"use client";

import { useState } from "react";
import { ActionError, ActionToast, useServerAction } from "@/components/action-status";
import { changeUserRoleAction, inviteUserAction, setStaffMfaRequiredAction, setUserDisabledAction } from "../actions";
import { resetUserMfaAction, signOutUserEverywhereAction } from "@/app/_account/actions";

export function InviteUserForm({ organizations }: { organizations: { id: string; name: string }[] }) {
  const { pending, result, run } = useServerAction<{ password: string | null }>();
  const [role, setRole] = useState("operator");
  return (
    <form
      className="form inline-form"
      aria-label="Invite a user"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const data = Object.fromEntries(new FormData(form));
        run(
          () => inviteUserAction(data),
          () => form.reset(),
        );
      }}
    >
      <label>
        Email
        <input name="email" type="email" required />
      </label>
      <label>
        Name
        <input name="name" type="text" />
      </label>
      <label>
        Role
        <select name="role" value={role} onChange={(e) => setRole(e.target.value)}>
          <option value="admin">admin</option>
          <option value="operator">operator</option>
          <option value="auditor">auditor</option>
          <option value="customer">customer</option>
        </select>
      </label>
      {role === "customer" && (
        <label>
          Organization
          <select name="organizationId" required>
            <option value="">choose…</option>
            {organizations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <button className="button" type="submit" disabled={pending}>
        Invite
      </button>
      <ActionToast result={result} style={{ gridColumn: "1 / -1" }}>
        {result?.ok && result.data?.password && (
          <div>
            <code className="secret">{result.data.password}</code>
          </div>
        )}
      </ActionToast>
    </form>
  );
}

/** The admin's setting: multi-factor sign-in required for all staff. */
export function StaffMfaSetting({ required }: { required: boolean }) {
  const { pending, result, run } = useServerAction();
  return (
    <form
      className="form"
      aria-label="Multi-factor sign-in for staff"
      onSubmit={(event) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        run(() => setStaffMfaRequiredAction({ required: data.get("required") === "on" }));
      }}
    >
      <label className="check">
        <input name="required" type="checkbox" defaultChecked={required} key={String(required)} />
        Require multi-factor sign-in for all staff
      </label>
      <p className="sub" style={{ margin: "-0.6rem 0 0" }}>
        Staff without it are sent to set it up before anything else. Admins who set it up keep it on either way.
      </p>
      <button className="button secondary" type="submit" disabled={pending} style={{ justifySelf: "start" }}>
        Save
      </button>
      <ActionToast result={result} />
    </form>
  );
}

export function UserRowActions({
  userId,
  email,
  role,
  disabled,
  isSelf,
  openSessions,
  mfa,
}: {
  userId: string;
  email: string;
  role: string;
  disabled: boolean;
  isSelf: boolean;
  openSessions: number;
  mfa: boolean;
}) {
  const { pending, result, run } = useServerAction();
  return (
    <span className="row-actions">
      {role !== "customer" && (
        <select aria-label="Role" defaultValue={role} disabled={pending} onChange={(e) => run(() => changeUserRoleAction({ userId, role: e.target.value }))}>
          <option value="admin">admin</option>
          <option value="operator">operator</option>
          <option value="auditor">auditor</option>
        </select>
      )}
      {!isSelf && (
        <button
          type="button"
          className="button secondary small"
          disabled={pending}
          onClick={() => run(() => setUserDisabledAction({ userId, disabled: !disabled }))}
        >
          {disabled ? "Enable" : "Disable"}
        </button>
      )}
      {!isSelf && openSessions > 0 && (
        <button
          type="button"
          className="button secondary small"
          disabled={pending}
          aria-label={`Sign ${email} out everywhere`}
          onClick={() => run(() => signOutUserEverywhereAction({ userId }))}
        >
          Sign out everywhere
        </button>
      )}
      {!isSelf && mfa && (
        <button
          type="button"
          className="button secondary small"
          disabled={pending}
          aria-label={`Reset multi-factor sign-in of ${email}`}
          onClick={() => run(() => resetUserMfaAction({ userId }))}
        >
          Reset MFA
        </button>
      )}
      <ActionError result={result} />
    </span>
  );
}
