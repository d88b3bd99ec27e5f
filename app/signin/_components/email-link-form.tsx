"use client";

import { useState } from "react";
import { signIn } from "next-auth/react";

/** Customers ask for a sign-in link; the answer is the same whether or not the address is a customer's. */
export function EmailLinkForm({ returnTo, sent }: { returnTo: string; sent: boolean }) {
  const [done, setDone] = useState<string | null>(sent ? "" : null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get("email") ?? "").trim();
    setPending(true);
    setError(null);
    const result = await signIn("email", { email, callbackUrl: returnTo, redirect: false });
    setPending(false);
    if (result?.ok && !result.error) setDone(email);
    else
      setError(result?.error === "EmailSignin" ? "The sign-in email could not be sent. Try again in a minute." : "That does not look like an email address.");
  }

  if (done !== null) {
    return (
      <p className="notice" role="status">
        {done ? (
          <>
            If <strong>{done}</strong> belongs to a customer account, a sign-in link is on its way.
          </>
        ) : (
          "If that address belongs to a customer account, a sign-in link is on its way."
        )}{" "}
        It works once, for 60 minutes.
      </p>
    );
  }
  return (
    <form className="form" method="post" onSubmit={submit} aria-label="Email me a sign-in link">
      <label>
        Email
        <input name="email" type="email" autoComplete="email" required />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button className="button secondary" type="submit" disabled={pending}>
        {pending ? "Sending…" : "Email me a sign-in link"}
      </button>
    </form>
  );
}
