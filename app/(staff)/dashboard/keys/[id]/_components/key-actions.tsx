"use client";

import { useRef } from "react";
import { ActionError, ActionToast, useServerAction, utcFromInput } from "@/components/action-status";
import { cancelRotationAction, rollbackRotationAction, rotateKeyAction } from "../actions";

/** The rotation request's fields as the dialogs name them, for refusals (`scheduledAt: must be …`). */
const FIELD_LABELS = { scheduledAt: "Starts at", gracePeriodHours: "Grace period (hours)", reason: "Reason" };

export interface KeyActionsProps {
  keyId: string;
  keyPrefix: string;
  organizationName: string;
  keyStatus: string;
  openRotation: { id: string; state: string } | null;
  gracePeriodHours: number;
  emergencyGraceHours: number;
  /** The latest a rotation with the policy's grace may start (lib/rotations/limits.ts), in UTC to the minute; null when that has passed. */
  latestStart: string | null;
  /** When the key was last used ("3 minutes ago"), or null if never: what a revocation would break. */
  lastUsed: string | null;
}

/** The rotation buttons of a key. The server checks the role again on every call. */
export function KeyActions(props: KeyActionsProps) {
  const { pending, result, run } = useServerAction();
  const emergencyDialog = useRef<HTMLDialogElement>(null);
  const scheduleDialog = useRef<HTMLDialogElement>(null);

  const canStart = props.keyStatus === "active" && !props.openRotation;
  // An emergency always wins: it replaces a rotation under way (lib/rotations/mutations.ts, supersedeOpenRotation).
  const canEmergency = props.keyStatus === "active" || props.keyStatus === "expiring";

  return (
    <section className="card actions-card" aria-label="Actions">
      <h2>Actions</h2>
      <div className="actions">
        {canStart && (
          <>
            <button
              type="button"
              className="button"
              disabled={pending}
              onClick={() => {
                const ask = `Rotate ${props.keyPrefix}… of ${props.organizationName} now?\n\nIts new key is ready for the customer at once, and both keys work for ${props.gracePeriodHours} hours; then the old key stops working. The customer's contacts are emailed now.`;
                if (window.confirm(ask)) run(() => rotateKeyAction({ keyId: props.keyId, kind: "manual", gracePeriodHours: props.gracePeriodHours }));
              }}
            >
              Rotate now
            </button>
            <button type="button" className="button secondary" disabled={pending} onClick={() => scheduleDialog.current?.showModal()}>
              Schedule rotation…
            </button>
          </>
        )}
        {canEmergency && (
          <button type="button" className="button danger" disabled={pending} onClick={() => emergencyDialog.current?.showModal()}>
            Emergency rotate…
          </button>
        )}
        {props.openRotation?.state === "scheduled" && (
          <button
            type="button"
            className="button secondary"
            disabled={pending}
            onClick={() => run(() => cancelRotationAction({ rotationId: props.openRotation!.id }))}
          >
            Cancel rotation
          </button>
        )}
        {props.openRotation?.state === "grace" && (
          <button
            type="button"
            className="button secondary"
            disabled={pending}
            onClick={() => {
              if (window.confirm(`Roll back the rotation of ${props.keyPrefix}? The old key becomes active again and its successor is revoked.`)) {
                run(() => rollbackRotationAction({ rotationId: props.openRotation!.id }));
              }
            }}
          >
            Roll back rotation
          </button>
        )}
        {!canStart && !canEmergency && !props.openRotation && <p className="sub">This key is {props.keyStatus}: nothing to do.</p>}
      </div>
      <ActionToast result={result} labels={FIELD_LABELS} />

      <dialog ref={scheduleDialog} aria-labelledby="schedule-title">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            const local = String(form.get("scheduledAt") ?? "");
            run(
              () =>
                rotateKeyAction({
                  keyId: props.keyId,
                  kind: "scheduled",
                  scheduledAt: utcFromInput(local) || undefined,
                  gracePeriodHours: Number(form.get("gracePeriodHours")),
                  reason: String(form.get("reason") ?? "") || undefined,
                }),
              () => scheduleDialog.current?.close(),
            );
          }}
        >
          <h2 id="schedule-title">Schedule a rotation of {props.keyPrefix}</h2>
          <label>
            Starts at (UTC)
            <input name="scheduledAt" type="datetime-local" required aria-describedby="latest-start" />
          </label>
          <p id="latest-start" className="sub" style={{ margin: "-0.6rem 0 0" }}>
            {props.latestStart
              ? `No later than ${props.latestStart} with the policy's grace: a key may not outlive its max age plus the postponements its policy allows.`
              : "Too late to schedule: under its policy this key had to start rotating already. Rotate it now."}
          </p>
          <label>
            Grace period (hours)
            <input name="gracePeriodHours" type="number" min={1} max={720} defaultValue={props.gracePeriodHours} required />
          </label>
          <label>
            Reason
            <input name="reason" type="text" maxLength={1000} placeholder="e.g. quarterly rotation" />
          </label>
          <div className="actions">
            <button className="button" type="submit" disabled={pending}>
              Schedule
            </button>
            <button className="button secondary" type="button" onClick={() => scheduleDialog.current?.close()}>
              Close
            </button>
          </div>
          <ActionError result={result} labels={FIELD_LABELS} />
        </form>
      </dialog>

      <dialog ref={emergencyDialog} aria-labelledby="emergency-title">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            run(
              () =>
                rotateKeyAction({
                  keyId: props.keyId,
                  kind: "emergency",
                  gracePeriodHours: Number(form.get("grace")),
                  reason: String(form.get("reason") ?? ""),
                }),
              () => emergencyDialog.current?.close(),
            );
          }}
        >
          <h2 id="emergency-title">
            Emergency-rotate {props.keyPrefix} of {props.organizationName}?
          </h2>
          <p className="sub">Use this when the key may have leaked. The customer is told at once and mints the new key in the portal.</p>
          {props.openRotation && (
            <p className="sub">
              It replaces the rotation under way ({props.openRotation.state}): a new key already issued for that one is revoked too, since whoever holds the
              leaked key may have obtained it.
            </p>
          )}
          <label>
            Reason (required)
            <input name="reason" type="text" required maxLength={1000} placeholder="e.g. found in a public repository" />
          </label>
          <fieldset className="choices">
            <legend>Old key</legend>
            <label>
              <input type="radio" name="grace" value={props.emergencyGraceHours} defaultChecked /> keeps working for {props.emergencyGraceHours} hours
            </label>
            <label>
              <input type="radio" name="grace" value={0} /> revoke now: every client still using it fails at once (
              {props.lastUsed ? `last used ${props.lastUsed}` : "never used"})
            </label>
          </fieldset>
          <div className="actions">
            <button className="button danger" type="submit" disabled={pending}>
              Emergency rotate
            </button>
            <button className="button secondary" type="button" onClick={() => emergencyDialog.current?.close()}>
              Close
            </button>
          </div>
        </form>
      </dialog>
    </section>
  );
}
