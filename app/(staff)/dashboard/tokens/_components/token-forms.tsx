"use client";

import { ActionError, ActionToast, useServerAction } from "@/components/action-status";
import { OneTimeSecret } from "@/components/one-time-secret";
import { createManagementTokenAction, revokeManagementTokenAction } from "../actions";

export function CreateTokenForm() {
  const { pending, result, run } = useServerAction<{ secret: string }>();
  return (
    <form
      className="form inline-form"
      aria-label="Create a token"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const name = String(new FormData(form).get("name") ?? "");
        run(
          () => createManagementTokenAction({ name }),
          () => form.reset(),
        );
      }}
    >
      <label>
        Name
        <input name="name" type="text" required placeholder="e.g. deploy pipeline" />
      </label>
      <button className="button" type="submit" disabled={pending}>
        Create token
      </button>
      <ActionToast result={result} style={{ gridColumn: "1 / -1" }}>
        {result?.ok && result.data?.secret && <OneTimeSecret secret={result.data.secret} what="token" />}
      </ActionToast>
    </form>
  );
}

export function RevokeTokenButton({ tokenId, name }: { tokenId: string; name: string }) {
  const { pending, result, run } = useServerAction();
  return (
    <span className="row-actions">
      <button
        type="button"
        className="button secondary small"
        disabled={pending}
        onClick={() => {
          if (!window.confirm(`Revoke the token "${name}"? Automation using it stops working at once.`)) return;
          run(() => revokeManagementTokenAction({ tokenId }));
        }}
      >
        Revoke
      </button>
      <ActionError result={result} />
    </span>
  );
}
