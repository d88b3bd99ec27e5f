"use client";

import { ActionError, useServerAction } from "@/components/action-status";
import { acknowledgeAlertAction, resolveAlertAction } from "../actions";

/** Acknowledge and resolve buttons for one alert; the server checks the role. */
export function AlertButtons({ alertId, status }: { alertId: string; status: string }) {
  const { pending, result, run } = useServerAction();
  return (
    <span className="row-actions">
      {status === "open" && (
        <button className="button secondary small" disabled={pending} onClick={() => run(() => acknowledgeAlertAction({ alertId }))}>
          Acknowledge
        </button>
      )}
      {status !== "resolved" && (
        <button className="button secondary small" disabled={pending} onClick={() => run(() => resolveAlertAction({ alertId }))}>
          Resolve
        </button>
      )}
      <ActionError result={result} />
    </span>
  );
}
