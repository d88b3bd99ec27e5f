"use client";

import { useRef } from "react";
import { ActionToast, useServerAction } from "@/components/action-status";
import { postponeOwnRotationAction, revokeOwnKeyAction, rotateOwnKeyAction } from "../../../actions";
import { ReauthPrompt } from "../../../_components/reauth-prompt";

export interface PortalKeyActionsProps {
  keyId: string;
  keyPrefix: string;
  keyStatus: string;
  openRotation: { id: string; state: string; postponements: number } | null;
  gracePeriodHours: number;
  postpone: { days: number; max: number };
  mayRevoke: boolean;
  /** The customer's address, for a fresh sign-in link when an action needs a recent sign-in. */
  email: string;
}

/** What a customer may do to their own key; the server checks the role, the organization and the policy again. */
export function PortalKeyActions(props: PortalKeyActionsProps) {
  const { pending, result, run } = useServerAction();
  const revokeDialog = useRef<HTMLDialogElement>(null);
  const scheduled = props.openRotation?.state === "scheduled" ? props.openRotation : null;
  const left = scheduled ? props.postpone.max - scheduled.postponements : 0;
  const canRotate = props.keyStatus === "active" && !props.openRotation;
  const canRevoke = props.mayRevoke && (props.keyStatus === "active" || props.keyStatus === "expiring");
  // The refreshed key may leave nothing to do (a revocation does): the action's message stays until read.
  if (!scheduled && !canRotate && !canRevoke) {
    return (
      <div>
        <p className="sub">Nothing to do for this key right now.</p>
        {result && <ActionToast result={result} />}
      </div>
    );
  }

  return (
    <div>
      {scheduled && (
        <div style={{ marginBottom: "1rem" }}>
          <p style={{ marginTop: 0 }}>
            Need more time? Postpone this rotation by {props.postpone.days} days.{" "}
            <span className="sub">
              {left > 0
                ? `${left} of ${props.postpone.max} postponement(s) left.`
                : `Already postponed ${scheduled.postponements} time(s), the most your policy allows.`}
            </span>
          </p>
          <button
            type="button"
            className="button secondary"
            disabled={pending || left <= 0}
            onClick={() => run(() => postponeOwnRotationAction({ rotationId: scheduled.id }))}
          >
            Postpone by {props.postpone.days} days
          </button>
        </div>
      )}
      <div className="actions" style={{ marginTop: 0 }}>
        {canRotate && (
          <button
            type="button"
            className="button"
            disabled={pending}
            onClick={() => {
              if (window.confirm(`Rotate ${props.keyPrefix}… now? You get a new key at once; the old one keeps working for ${props.gracePeriodHours} hours.`)) {
                run(() => rotateOwnKeyAction({ keyId: props.keyId }));
              }
            }}
          >
            Rotate now
          </button>
        )}
        {canRevoke && (
          <button type="button" className="button danger" disabled={pending} onClick={() => revokeDialog.current?.showModal()}>
            Revoke…
          </button>
        )}
      </div>
      {result && !result.ok && result.code === "reauthentication_required" ? (
        <ReauthPrompt email={props.email} message={result.error} />
      ) : (
        <ActionToast result={result} />
      )}

      <dialog ref={revokeDialog} aria-labelledby="revoke-title">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            const reason = String(new FormData(event.currentTarget).get("reason") ?? "");
            // Closed first: a refusal (a sign-in to renew, say) is shown on the page, not behind the dialog.
            revokeDialog.current?.close();
            run(() => revokeOwnKeyAction({ keyId: props.keyId, reason }));
          }}
        >
          <h2 id="revoke-title">Revoke {props.keyPrefix}…?</h2>
          <p className="sub" style={{ margin: 0 }}>
            It stops working at once, everywhere it is used. This cannot be undone.
          </p>
          <label>
            Why (kept in the audit trail)
            <input name="reason" type="text" required maxLength={1000} placeholder="e.g. the service using it was retired" />
          </label>
          <div className="actions" style={{ marginTop: 0 }}>
            <button className="button danger" type="submit" disabled={pending}>
              Revoke now
            </button>
            <button className="button secondary" type="button" onClick={() => revokeDialog.current?.close()}>
              Keep it
            </button>
          </div>
        </form>
      </dialog>
    </div>
  );
}
