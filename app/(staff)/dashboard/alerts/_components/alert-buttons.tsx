"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import type { ActionResult } from "@/lib/http/server-action";
import { acknowledgeAlertAction, resolveAlertAction } from "../actions";

/** Acknowledge and resolve buttons for one alert; the server checks the role. */
export function AlertButtons({ alertId, status }: { alertId: string; status: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult | null>(null);
  const run = (call: () => Promise<ActionResult>) =>
    start(async () => {
      const outcome = await call();
      setResult(outcome);
      router.refresh();
    });
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
      {result && !result.ok && (
        <span className="bad-text" role="status">
          {result.error}
        </span>
      )}
    </span>
  );
}
