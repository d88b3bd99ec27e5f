"use client";

import { ActionError, ActionToast, useServerAction } from "@/components/action-status";
import { deliverOutboxAction, retryNotificationAction } from "../actions";

/** "Deliver now": runs the outbox delivery the cron would run; the server checks the role. */
export function DeliverNowButton() {
  const { pending, result, run } = useServerAction();
  return (
    <div style={{ display: "flex", alignItems: "center", gap: "0.75rem", flexWrap: "wrap" }}>
      <ActionToast result={result} />
      <button type="button" className="button" disabled={pending} onClick={() => run(() => deliverOutboxAction({}))}>
        {pending ? "Delivering…" : "Deliver now"}
      </button>
    </div>
  );
}

/** Queues one failed email again. */
export function RetryButton({ notificationId }: { notificationId: string }) {
  const { pending, result, run } = useServerAction();
  return (
    <span className="row-actions">
      <button type="button" className="button secondary small" disabled={pending} onClick={() => run(() => retryNotificationAction({ notificationId }))}>
        Retry
      </button>
      <ActionError result={result} />
    </span>
  );
}
