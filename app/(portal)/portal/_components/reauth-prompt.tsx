"use client";

import { useState } from "react";
import { signIn } from "next-auth/react";

/** Shown when an action needs a fresh sign-in: one click emails a new link that brings the customer back here. */
export function ReauthPrompt({ email, message }: { email: string; message: string }) {
  const [state, setState] = useState<"idle" | "sending" | "sent" | "failed">("idle");
  return (
    <div className="notice" role="alert">
      <p style={{ margin: 0 }}>{message}</p>
      {state === "sent" ? (
        <p style={{ margin: "0.5rem 0 0" }}>
          A sign-in link is on its way to <strong>{email}</strong>. Open it and you come back to this page.
        </p>
      ) : (
        <button
          type="button"
          className="button small"
          style={{ marginTop: "0.5rem" }}
          disabled={state === "sending"}
          onClick={async () => {
            setState("sending");
            const result = await signIn("email", { email, callbackUrl: window.location.pathname, redirect: false });
            setState(result?.ok && !result.error ? "sent" : "failed");
          }}
        >
          {state === "sending" ? "Sending…" : `Email a sign-in link to ${email}`}
        </button>
      )}
      {state === "failed" && <p className="bad-text">The email could not be sent. Try again in a minute.</p>}
    </div>
  );
}
