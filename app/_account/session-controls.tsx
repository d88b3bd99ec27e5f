"use client";

import { ActionError, ActionToast, useServerAction } from "@/components/action-status";
import { changePasswordAction, endOtherSessionsAction, endSessionAction } from "./actions";

/** "End" on one session row. */
export function EndSessionButton({ sessionId, label }: { sessionId: string; label: string }) {
  const { pending, result, run } = useServerAction();
  return (
    <span className="row-actions">
      <button type="button" className="button secondary small" disabled={pending} aria-label={label} onClick={() => run(() => endSessionAction({ sessionId }))}>
        End
      </button>
      <ActionError result={result} />
    </span>
  );
}

export function EndOtherSessionsButton({ others }: { others: number }) {
  const { pending, result, run } = useServerAction();
  return (
    <div className="row-actions" style={{ marginTop: "0.75rem" }}>
      <button type="button" className="button secondary" disabled={pending || others === 0} onClick={() => run(() => endOtherSessionsAction({}))}>
        Sign out everywhere else
      </button>
      <ActionToast result={result} />
    </div>
  );
}

/** Current and new password; the form posts nothing anywhere by itself (no password in a URL, even before scripts load). */
export function ChangePasswordForm() {
  const { pending, result, run } = useServerAction();
  return (
    <form
      className="form"
      style={{ maxWidth: "28rem" }}
      method="post"
      aria-label="Change your password"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const data = new FormData(form);
        if (data.get("newPassword") !== data.get("confirmPassword")) {
          run(async () => ({ ok: false, code: "invalid_request", error: "The two new passwords differ.", field: "confirmPassword" }));
          return;
        }
        run(
          () => changePasswordAction({ currentPassword: data.get("currentPassword"), newPassword: data.get("newPassword") }),
          () => form.reset(),
        );
      }}
    >
      <label>
        Current password
        <input name="currentPassword" type="password" autoComplete="current-password" required />
      </label>
      <label>
        New password
        <input name="newPassword" type="password" autoComplete="new-password" minLength={12} required aria-describedby="new-password-help" />
      </label>
      {/* Outside the label, so the field's name stays "New password"; tucked under it. */}
      <p id="new-password-help" className="sub" style={{ margin: "-0.6rem 0 0" }}>
        At least 12 characters, not a common password: a few unrelated words work well.
      </p>
      <label>
        New password, again
        <input name="confirmPassword" type="password" autoComplete="new-password" minLength={12} required />
      </label>
      <button className="button" type="submit" disabled={pending} style={{ justifySelf: "start" }}>
        {pending ? "Saving…" : "Change password"}
      </button>
      <ActionToast result={result} />
    </form>
  );
}
