"use client";

import { useEffect, useRef, useState } from "react";
import { signIn } from "next-auth/react";
import { browserSupportsWebAuthn, startAuthentication } from "@simplewebauthn/browser";
import { passkeySignInOptionsAction } from "../actions";

/** lib/auth/sign-in.ts's SECOND_FACTOR_REQUIRED: the password was right and the account has multi-factor sign-in. */
const SECOND_FACTOR_REQUIRED = "SecondFactorRequired";

/**
 * Email and password; for an account with multi-factor sign-in, then the
 * code from the authenticator app (or a recovery code), sent again with the
 * email and password, which stay in this form only. The form posts, so
 * nothing typed lands in a URL even before the script loads. Staff with a
 * passkey sign in with it instead (no password, no code).
 */
export function SignInForm({ returnTo }: { returnTo: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [step, setStep] = useState<"password" | "code">("password");
  const credentials = useRef<{ email: string; password: string } | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const [passkeys, setPasskeys] = useState(false);
  // Known only in the browser: the button appears once the script runs and the browser can use passkeys.
  useEffect(() => setPasskeys(browserSupportsWebAuthn()), []);
  // The code step replaces the form: the cursor goes to its field (autoFocus acts only on the first render).
  useEffect(() => {
    if (step === "code") codeInput.current?.focus();
  }, [step]);

  async function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (step === "password") credentials.current = { email: String(form.get("email")), password: String(form.get("password")) };
    const code = step === "code" ? String(form.get("code") ?? "") : undefined;
    setPending(true);
    setError(null);
    const result = await signIn("credentials", { ...credentials.current, ...(code ? { code } : {}), redirect: false });
    setPending(false);
    if (result?.ok && !result.error) {
      window.location.assign(returnTo);
      return;
    }
    if (result?.error === SECOND_FACTOR_REQUIRED) {
      setStep("code");
      return;
    }
    setError(result?.error && result.error !== "CredentialsSignin" ? result.error : "Wrong email or password.");
    if (step === "code" && (!result?.error || result.error === "CredentialsSignin")) backToPassword();
  }

  /** A passkey instead of the password and code: the browser asks the person's device, rekey checks its answer. */
  async function signInWithPasskey() {
    setPending(true);
    setError(null);
    try {
      const options = await passkeySignInOptionsAction({});
      if (!options.ok) return setError(options.error);
      let answer: Awaited<ReturnType<typeof startAuthentication>>;
      try {
        answer = await startAuthentication({ optionsJSON: options.data as Parameters<typeof startAuthentication>[0]["optionsJSON"] });
      } catch {
        return setError("No passkey was used: the browser's prompt was closed or timed out.");
      }
      const result = await signIn("passkey", { response: JSON.stringify(answer), redirect: false });
      if (result?.ok && !result.error) return window.location.assign(returnTo);
      setError(
        result?.error && result.error !== "CredentialsSignin" ? result.error : "That passkey did not sign you in. Use your password, or another passkey.",
      );
    } finally {
      setPending(false);
    }
  }

  function backToPassword() {
    credentials.current = null;
    setStep("password");
  }

  if (step === "code") {
    return (
      // Its own key: React must not reuse the password step's inputs for this one (the password would show in the code field).
      <form key="code" className="form" method="post" onSubmit={submit} aria-label="Enter your authentication code">
        <p className="sub" style={{ margin: 0 }}>
          Signing in as <strong>{credentials.current?.email}</strong>
        </p>
        <label>
          Authentication code
          <input
            name="code"
            type="text"
            inputMode="text"
            autoComplete="one-time-code"
            spellCheck={false}
            autoCapitalize="off"
            maxLength={50}
            required
            ref={codeInput}
            aria-describedby="code-help"
            className="code-input"
          />
        </label>
        <p id="code-help" className="sub" style={{ margin: "-0.6rem 0 0" }}>
          The 6-digit code your authenticator app shows for rekey. Lost your device? Enter one of your recovery codes instead.
        </p>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="row-actions" style={{ gap: "1rem" }}>
          <button className="button" type="submit" disabled={pending}>
            {pending ? "Checking…" : "Verify"}
          </button>
          <button
            className="link-button"
            type="button"
            onClick={() => {
              setError(null);
              backToPassword();
            }}
          >
            Use another account
          </button>
        </div>
      </form>
    );
  }

  return (
    <form key="password" className="form" method="post" onSubmit={submit} aria-label="Sign in with a password">
      <label>
        Email
        {/* biome-ignore lint/a11y/noAutofocus: the page's one task; the field is first in reading order, so nothing is skipped */}
        <input name="email" type="email" autoComplete="username" required autoFocus defaultValue={credentials.current?.email} />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <button className="button" type="submit" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
      {passkeys && (
        <button className="button secondary" type="button" disabled={pending} onClick={signInWithPasskey}>
          Sign in with a passkey
        </button>
      )}
    </form>
  );
}
