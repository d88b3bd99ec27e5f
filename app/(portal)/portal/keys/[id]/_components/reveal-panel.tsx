"use client";

import { ActionToast, useServerAction } from "@/components/action-status";
import { OneTimeSecret } from "@/components/one-time-secret";
import { rerollSuccessorAction, revealSuccessorAction, type RevealedKey } from "../../../actions";
import { ReauthPrompt } from "../../../_components/reauth-prompt";

export interface RevealPanelProps {
  rotationId: string;
  /** The revealed successor, if any: it is never shown again, only replaced. */
  successor: { prefix: string; revealedAt: string } | null;
  email: string;
  deadline: string;
}

/** Reveal the new key once, copy it; if it was lost before the deadline, re-roll it. */
export function RevealPanel({ rotationId, successor, email, deadline }: RevealPanelProps) {
  const { pending, result, run } = useServerAction<RevealedKey>();
  const shown = result?.ok ? result.data : undefined;
  return (
    <div>
      {shown ? null : successor ? (
        <>
          <p>
            The new key <code>{successor.prefix}…</code> was revealed on {successor.revealedAt}. It is not shown again.
          </p>
          <p className="sub">
            Lost it before putting it in place? Re-roll: it is revoked and a new one is shown once. The deadline ({deadline}) does not move.
          </p>
          <button
            type="button"
            className="button secondary"
            disabled={pending}
            onClick={() => {
              if (
                window.confirm(
                  `Re-roll the new key? ${successor.prefix}… stops working at once and a new key replaces it. The old key's deadline stays ${deadline}.`,
                )
              ) {
                run(() => rerollSuccessorAction({ rotationId }));
              }
            }}
          >
            {pending ? "Re-rolling…" : "I lost it: re-roll the new key"}
          </button>
        </>
      ) : (
        <>
          <p>Your new key is ready. It is shown once: have your secret store open, then reveal it and copy it there.</p>
          <button type="button" className="button" disabled={pending} onClick={() => run(() => revealSuccessorAction({ rotationId }))}>
            {pending ? "Revealing…" : "Reveal the new key"}
          </button>
        </>
      )}
      {result && !result.ok && result.code === "reauthentication_required" ? (
        <ReauthPrompt email={email} message={result.error} />
      ) : (
        <ActionToast result={result}>{shown ? <OneTimeSecret secret={shown.secret} /> : null}</ActionToast>
      )}
    </div>
  );
}
