"use client";

import { ActionToast, useServerAction } from "@/components/action-status";
import { OneTimeSecret } from "@/components/one-time-secret";
import type { RevealedKey } from "../actions";
import { issueOwnKeyAction } from "../actions";
import { ReauthPrompt } from "./reauth-prompt";

/** Creates a key for the customer's organization with scopes it already holds; the key is shown once. */
export function CreateKeyForm({ scopes, email }: { scopes: string[]; email: string }) {
  const { pending, result, run } = useServerAction<RevealedKey>();
  return (
    <form
      className="form"
      aria-label="Create a key"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const data = new FormData(form);
        run(
          () =>
            issueOwnKeyAction({
              name: String(data.get("name") ?? ""),
              environment: String(data.get("environment") ?? ""),
              scopes: data.getAll("scopes").map(String),
            }),
          () => form.reset(),
        );
      }}
    >
      <div className="inline-form">
        <label>
          Name
          <input
            name="name"
            type="text"
            required
            maxLength={200}
            placeholder="e.g. billing worker"
            aria-invalid={result && !result.ok && result.field === "name" ? true : undefined}
          />
        </label>
        <label>
          Environment
          <select name="environment" defaultValue="test">
            <option value="test">test</option>
            <option value="live">live</option>
          </select>
        </label>
      </div>
      {scopes.length > 0 && (
        <fieldset className="choices">
          <legend className="sub">Scopes (those your organization holds)</legend>
          <div className="scope-picks">
            {scopes.map((s) => (
              <label key={s}>
                <input type="checkbox" name="scopes" value={s} /> <code>{s}</code>
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <div>
        <button className="button" type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create key"}
        </button>
      </div>
      {result && !result.ok && result.code === "reauthentication_required" ? (
        <ReauthPrompt email={email} message={result.error} />
      ) : (
        <ActionToast result={result}>{result?.ok && result.data ? <OneTimeSecret secret={result.data.secret} /> : null}</ActionToast>
      )}
    </form>
  );
}
