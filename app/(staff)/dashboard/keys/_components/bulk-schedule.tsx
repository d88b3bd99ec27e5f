"use client";

import { useRef } from "react";
import { ActionToast, useServerAction } from "@/components/action-status";
import { bulkScheduleRotationsAction } from "../actions";

export interface BulkScheduleProps {
  total: number;
  filters: { status?: string; environment?: string; organizationId?: string; overdue?: boolean };
}

/** "Schedule rotation for all N matching keys", with a confirmation that says how many. */
export function BulkSchedule({ total, filters }: BulkScheduleProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const { pending, result, run } = useServerAction();
  return (
    <>
      <button type="button" className="button secondary" onClick={() => dialog.current?.showModal()}>
        Schedule rotation for all {total.toLocaleString("en")} matching keys…
      </button>
      <ActionToast result={result} />
      <dialog ref={dialog} aria-labelledby="bulk-title">
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault();
            const form = new FormData(event.currentTarget);
            const local = String(form.get("scheduledAt") ?? "");
            run(
              () => bulkScheduleRotationsAction({ ...filters, scheduledAt: local ? new Date(local).toISOString() : "", reason: String(form.get("reason") ?? "") }),
              () => dialog.current?.close(),
            );
          }}
        >
          <h2 id="bulk-title">Schedule a rotation for {total.toLocaleString("en")} keys?</h2>
          <p className="sub">Each active key without a rotation gets one, with its own policy&apos;s grace period; its organization is notified.</p>
          <label>
            Starts at (your time)
            <input name="scheduledAt" type="datetime-local" required />
          </label>
          <label>
            Reason
            <input name="reason" type="text" required maxLength={1000} placeholder="e.g. catch up on overdue keys" />
          </label>
          {result && !result.ok && (
            <p className="form-error" role="alert">
              {result.error}
            </p>
          )}
          <div className="actions">
            <button className="button" type="submit" disabled={pending}>
              Schedule {total.toLocaleString("en")} rotations
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
