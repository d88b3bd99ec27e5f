"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import type { ActionResult } from "@/lib/http/server-action";
import { createManagementTokenAction, revokeManagementTokenAction } from "../actions";

export function CreateTokenForm() {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult<{ secret: string }> | null>(null);
  const [copied, setCopied] = useState(false);
  return (
    <form
      className="form inline-form"
      aria-label="Create a token"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const name = String(new FormData(form).get("name") ?? "");
        start(async () => {
          const outcome = (await createManagementTokenAction({ name })) as ActionResult<{ secret: string }>;
          setResult(outcome);
          setCopied(false);
          if (outcome.ok) {
            form.reset();
            router.refresh();
          }
        });
      }}
    >
      <label>
        Name
        <input name="name" type="text" required placeholder="e.g. deploy pipeline" />
      </label>
      <button className="button" type="submit" disabled={pending}>
        Create token
      </button>
      <div role="status" aria-live="polite" className={result ? (result.ok ? "toast ok" : "toast bad") : "toast-empty"} style={{ gridColumn: "1 / -1" }}>
        {result ? (result.ok ? result.message : result.error) : null}
        {result?.ok && result.data?.secret && (
          <div className="secret-row">
            <code className="secret">{result.data.secret}</code>
            <button
              type="button"
              className="button secondary small"
              onClick={async () => {
                await navigator.clipboard.writeText(result.data!.secret);
                setCopied(true);
              }}
            >
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
        )}
      </div>
    </form>
  );
}

export function RevokeTokenButton({ tokenId, name }: { tokenId: string; name: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  return (
    <span className="row-actions">
      <button
        className="button secondary small"
        disabled={pending}
        onClick={() => {
          if (!window.confirm(`Revoke the token "${name}"? Automation using it stops working at once.`)) return;
          start(async () => {
            const outcome = await revokeManagementTokenAction({ tokenId });
            setError(outcome.ok ? null : outcome.error);
            router.refresh();
          });
        }}
      >
        Revoke
      </button>
      {error && (
        <span className="bad-text" role="status">
          {error}
        </span>
      )}
    </span>
  );
}
