"use client";

import { useRef } from "react";
import { ActionToast, readableError, useServerAction, utcFromInput } from "@/components/action-status";
import { bulkScheduleRotationsAction } from "../actions";

export interface BulkScheduleProps {
  /** Keys the filter matches. */
  total: number;
  /** Of those, the ones it would give a rotation: active, none under way (lib/rotations/bulk.ts countSchedulable). */
  schedulable: number;
  filters: { status?: string; environment?: string; organizationId?: string; overdue?: boolean };
}

/** "Schedule rotation for the N matching keys not rotating yet", with a confirmation that says how many and which are left alone. */
export function BulkSchedule({ total, schedulable, filters }: BulkScheduleProps) {
  const n = schedulable.toLocaleString("en");
  const left = total - schedulable;
  const dialog = useRef<HTMLDialogElement>(null);
  const { pending, result, run } = useServerAction();
  return (
    <>
      {/* With none left to schedule (also right after a bulk action scheduled them all) it says so, and the result stays in view. */}
      {schedulable > 0 ? (
        <button type="button" className="button secondary" onClick={() => dialog.current?.showModal()}>
          {schedulable === total
            ? `Schedule rotation for all ${n} matching keys…`
            : `Schedule rotation for the ${n} of ${total.toLocaleString("en")} keys not rotating yet…`}
        </button>
      ) : (
        <span className="sub">Every matching key is already rotating or not active: nothing to schedule.</span>
      )}
      <ActionToast result={result} labels={{ scheduledAt: "Starts at", reason: "Reason" }} />
      <dialog ref={dialog} aria-labelledby="bulk-title">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            const local = String(form.get("scheduledAt") ?? "");
            run(
              () => bulkScheduleRotationsAction({ ...filters, scheduledAt: utcFromInput(local), reason: String(form.get("reason") ?? "") }),
              () => dialog.current?.close(),
            );
          }}
        >
          <h2 id="bulk-title">
            Schedule a rotation for {n} key{schedulable === 1 ? "" : "s"}?
          </h2>
          <p className="sub">
            Each gets one, with its own policy&apos;s grace period, and its organization&apos;s contacts are emailed a notice.
            {left > 0 && ` The other ${left.toLocaleString("en")} matching key${left === 1 ? " is" : "s are"} left alone: already rotating, or not active.`}
          </p>
          <label>
            Starts at (UTC)
            <input name="scheduledAt" type="datetime-local" required />
          </label>
          <label>
            Reason
            <input name="reason" type="text" required maxLength={1000} placeholder="e.g. catch up on overdue keys" />
          </label>
          {result && !result.ok && (
            <p className="form-error" role="alert">
              {readableError(result, { scheduledAt: "Starts at", reason: "Reason" })}
            </p>
          )}
          <div className="actions">
            <button className="button" type="submit" disabled={pending}>
              Schedule {n} rotation{schedulable === 1 ? "" : "s"}
            </button>
            <button className="button secondary" type="button" onClick={() => dialog.current?.close()}>
              Close
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
