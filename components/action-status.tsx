"use client";

import { useState, useTransition } from "react";
import { useRouter } from "next/navigation";
import type { ActionResult } from "@/lib/http/server-action";

/**
 * Runs a server action in a transition, keeps its result for the status
 * message, and refreshes the page's server data after it (also after a
 * refusal, such as a conflict: the row should show what happened).
 */
export function useServerAction<T = unknown>() {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<ActionResult<T> | null>(null);
  function run(call: () => Promise<ActionResult<T>>, onSuccess?: (result: ActionResult<T> & { ok: true }) => void) {
    start(async () => {
      const outcome = await call();
      setResult(outcome);
      if (outcome.ok) onSuccess?.(outcome);
      router.refresh();
    });
  }
  return { pending, result, run, setResult };
}

/**
 * A refusal's message as a person reads it: the field the server names
 * (`maxAgeDays: must be …`, what the API answers machines) by the label the
 * form shows it under (`Max key age (days): must be …`).
 */
export function readableError(result: ActionResult<unknown> & { ok: false }, labels?: Record<string, string>): string {
  const label = result.field && labels?.[result.field];
  return label && result.error.startsWith(`${result.field}: `) ? `${label}: ${result.error.slice(result.field!.length + 2)}` : result.error;
}

/**
 * A `datetime-local` value ("2026-12-06T09:30") read as UTC, the one zone of the
 * staff pages (they show every time in UTC, labelled); "" when empty.
 */
export function utcFromInput(value: string): string {
  return value ? new Date(`${value}:00Z`).toISOString() : "";
}

/** The message of an action's result, announced politely to screen readers; `labels` names fields as the form does. */
export function ActionToast({
  result,
  children,
  style,
  labels,
}: {
  result: ActionResult<unknown> | null;
  children?: React.ReactNode;
  style?: React.CSSProperties;
  labels?: Record<string, string>;
}) {
  return (
    <div role="status" aria-live="polite" className={result ? (result.ok ? "toast ok" : "toast bad") : "toast-empty"} style={style}>
      {result ? (result.ok ? result.message : readableError(result, labels)) : null}
      {result?.ok ? children : null}
    </div>
  );
}

/** A refused action's message next to its button, where a toast would be too big. */
export function ActionError({ result, labels }: { result: ActionResult<unknown> | null; labels?: Record<string, string> }) {
  if (!result || result.ok) return null;
  return (
    <span className="bad-text" role="status">
      {readableError(result, labels)}
    </span>
  );
}
