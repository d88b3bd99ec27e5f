"use client";

import { useEffect, useState } from "react";
import { browserSupportsWebAuthn, startRegistration } from "@simplewebauthn/browser";
import { ActionToast, useServerAction } from "@/components/action-status";
import type { ActionResult } from "@/lib/http/server-action";
import { finishPasskeyRegistrationAction, removePasskeyAction, startPasskeyRegistrationAction } from "@/app/_account/actions";
import { ReauthFields } from "./mfa-card";

export interface PasskeyRow {
  id: string;
  name: string;
  /** Formatted on the server, in the page's one zone. */
  createdLabel: string;
  lastUsedLabel: string | null;
  synced: boolean;
}

export interface PasskeysCardProps {
  passkeys: PasskeyRow[];
  /** Whether a change asks for a current code too (multi-factor sign-in is on). */
  withCode: boolean;
  max: number;
}

const LABELS = { currentPassword: "Current password", code: "Authentication code", name: "Name" };

/**
 * Passkeys on "Your account": add one (a name and the password, and a code
 * once multi-factor sign-in is on → the browser's passkey prompt), list them
 * with when each was last used, and remove one after the password.
 */
export function PasskeysCard({ passkeys, withCode, max }: PasskeysCardProps) {
  const add = useServerAction();
  const remove = useServerAction();
  const [supported, setSupported] = useState<boolean | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  // Known only in the browser: the page renders the same on the server and before this runs.
  useEffect(() => setSupported(browserSupportsWebAuthn()), []);

  async function addPasskey(form: HTMLFormElement): Promise<ActionResult> {
    const fields = Object.fromEntries(new FormData(form)) as Record<string, string>;
    const options = await startPasskeyRegistrationAction({ currentPassword: fields.currentPassword, code: fields.code });
    if (!options.ok) return options;
    let response: Awaited<ReturnType<typeof startRegistration>>;
    try {
      response = await startRegistration({ optionsJSON: options.data as Parameters<typeof startRegistration>[0]["optionsJSON"] });
    } catch (error) {
      const name = error instanceof Error ? error.name : "";
      const why = name === "InvalidStateError" ? "this device already holds one of your passkeys." : "the browser's prompt was closed or timed out.";
      return { ok: false, code: "invalid_request", error: `No passkey was added: ${why}` };
    }
    return finishPasskeyRegistrationAction({ name: fields.name, response });
  }

  return (
    <>
      <p style={{ marginTop: 0 }}>
        A passkey signs you in with your device&apos;s screen lock (fingerprint, face or PIN) instead of your password and code. It cannot be phished: it works
        only on this site.
      </p>
      {passkeys.length > 0 ? (
        <ul className="passkey-list" aria-label="Your passkeys">
          {passkeys.map((p) => (
            <li key={p.id}>
              <div>
                <strong>{p.name}</strong> <span className="badge neutral">{p.synced ? "synced" : "this device only"}</span>
                <div className="sub">
                  Added {p.createdLabel} · {p.lastUsedLabel ? `last used ${p.lastUsedLabel}` : "never used"}
                </div>
              </div>
              {removing === p.id ? (
                <form
                  className="form inline-reauth"
                  method="post"
                  aria-label={`Remove passkey ${p.name}`}
                  onSubmit={(event) => {
                    event.preventDefault();
                    const fields = Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>;
                    remove.run(
                      () => removePasskeyAction({ passkeyId: p.id, ...fields }),
                      () => setRemoving(null),
                    );
                  }}
                >
                  <ReauthFields withCode={withCode} idPrefix={`remove-${p.id}`} />
                  <div className="row-actions">
                    <button className="button danger small" type="submit" disabled={remove.pending}>
                      {remove.pending ? "Removing…" : "Remove"}
                    </button>
                    <button className="link-button" type="button" onClick={() => setRemoving(null)}>
                      Keep it
                    </button>
                  </div>
                </form>
              ) : (
                <button
                  className="button secondary small"
                  type="button"
                  onClick={() => {
                    remove.setResult(null);
                    setRemoving(p.id);
                  }}
                  aria-label={`Remove passkey ${p.name}`}
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="sub">No passkeys yet.</p>
      )}
      <ActionToast result={remove.result} labels={LABELS} />
      {supported === false ? (
        <p className="notice">This browser cannot make passkeys. Use a current Chrome, Edge, Firefox or Safari.</p>
      ) : passkeys.length >= max ? (
        <p className="sub">You have {max} passkeys, the most an account may have: remove one to add another.</p>
      ) : (
        <form
          className="form"
          method="post"
          aria-label="Add a passkey"
          style={{ maxWidth: "28rem", marginTop: "0.75rem" }}
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            add.run(
              () => addPasskey(form),
              () => form.reset(),
            );
          }}
        >
          <h3 style={{ margin: 0, fontSize: "1rem" }}>Add a passkey</h3>
          <label>
            Name
            <input name="name" type="text" required maxLength={100} placeholder="Work laptop" autoComplete="off" />
          </label>
          <ReauthFields withCode={withCode} idPrefix="passkey-add" />
          <button className="button" type="submit" disabled={add.pending || supported === null} style={{ justifySelf: "start" }}>
            {add.pending ? "Waiting for your device…" : "Add a passkey"}
          </button>
          <ActionToast result={add.result} labels={LABELS} />
        </form>
      )}
    </>
  );
}
