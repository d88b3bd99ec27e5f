"use client";

import { ActionToast, useServerAction } from "@/components/action-status";
import type { ActionResult } from "@/lib/http/server-action";

/**
 * Report a leaked key: paste it (a password field, kept out of form history
 * and never put in a URL), say where it was found, confirm that it stops
 * working at once. The key goes in the action's body and is only hashed.
 */
export function ReportLeakForm({ report, who }: { report: (input: unknown) => Promise<ActionResult<{ keyId?: string }>>; who: "staff" | "customer" }) {
  const { pending, result, run } = useServerAction<{ keyId?: string }>();
  return (
    <details className="card leak-report">
      <summary>Report a leaked key</summary>
      <form
        className="form"
        aria-label="Report a leaked key"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const data = new FormData(form);
          const consequence =
            who === "staff"
              ? "It stops working at once, with every key made from it, and the customer is told."
              : "It stops working at once; you reveal its replacement here.";
          if (!window.confirm(`Revoke this key now? ${consequence}`)) return;
          run(
            () => report({ key: String(data.get("key") ?? ""), url: String(data.get("url") ?? "") }),
            () => form.reset(),
          );
        }}
      >
        <p className="sub" style={{ margin: 0 }}>
          Found a key where it should not be (a public repository, a paste, a log)? It is revoked at once. The key is checked by its fingerprint and never
          stored.
        </p>
        <div className="inline-form">
          <label style={{ flex: "2 1 22rem" }}>
            The leaked key
            <input name="key" type="password" required autoComplete="off" spellCheck={false} placeholder="rk_live_…" />
          </label>
          <label style={{ flex: "1 1 14rem" }}>
            Where it was found
            <input name="url" type="text" maxLength={2000} placeholder="optional, e.g. a URL" />
          </label>
          <button className="button danger" type="submit" disabled={pending}>
            {pending ? "Revoking…" : "Revoke it now"}
          </button>
        </div>
        <ActionToast result={result} labels={{ key: "The leaked key", url: "Where it was found" }} />
      </form>
    </details>
  );
}
