"use client";

import { useState } from "react";
import { ActionToast, useServerAction } from "@/components/action-status";
import type { Enrolment } from "@/lib/auth/mfa";
import { confirmMfaEnrolmentAction, disableMfaAction, regenerateRecoveryCodesAction, startMfaEnrolmentAction } from "@/app/_account/actions";

export interface MfaCardProps {
  /** ISO time multi-factor sign-in was turned on, or null. */
  enabledAt: string | null;
  enabledLabel: string | null;
  recoveryCodesLeft: number;
  required: boolean;
  mayDisable: boolean;
}

type Codes = { recoveryCodes: string[] };

/** Recovery codes, shown once: right after enrolment or regenerating. */
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  return (
    <section className="one-time" aria-label="Your recovery codes">
      <p style={{ margin: 0 }}>
        <strong>Your recovery codes.</strong> Each signs you in once in place of a code from your app, if you lose your device. Keep them somewhere safe, away
        from your device (a password manager works).
      </p>
      <ul className="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div className="row-actions">
        <button
          type="button"
          className="button secondary small"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(codes.join("\n"));
              setCopied("Copied to your clipboard.");
            } catch {
              setCopied("Your browser did not allow copying: select the codes and copy them by hand.");
            }
          }}
        >
          Copy codes
        </button>
        <button type="button" className="button small" onClick={onDone}>
          I have saved them
        </button>
      </div>
      <p className="sub" role="status">
        {copied}
      </p>
      <p className="warn-text">
        <strong>These codes are not shown again.</strong> rekey keeps only a fingerprint of each.
      </p>
    </section>
  );
}

/** The password (and, once on, a current code) a change needs: re-authentication. */
export function ReauthFields({ withCode, idPrefix }: { withCode: boolean; idPrefix: string }) {
  return (
    <>
      <label>
        Current password
        <input name="currentPassword" type="password" autoComplete="current-password" required />
      </label>
      {withCode && (
        <>
          <label>
            Authentication code
            <input
              name="code"
              type="text"
              autoComplete="one-time-code"
              spellCheck={false}
              autoCapitalize="off"
              maxLength={50}
              required
              className="code-input"
              aria-describedby={`${idPrefix}-code-help`}
            />
          </label>
          <p id={`${idPrefix}-code-help`} className="sub" style={{ margin: "-0.6rem 0 0" }}>
            From your app, or a recovery code.
          </p>
        </>
      )}
    </>
  );
}

/**
 * Multi-factor sign-in on "Your account": set up (password → QR code and
 * seed → a code confirms → recovery codes once), and once on: regenerate the
 * recovery codes or turn it off, each after the password and a current code.
 * Every form posts nothing by itself: no password or code in a URL.
 */
export function MfaCard({ enabledAt, enabledLabel, recoveryCodesLeft, required, mayDisable }: MfaCardProps) {
  const start = useServerAction<Enrolment>();
  const confirm = useServerAction<Codes>();
  const regenerate = useServerAction<Codes>();
  const disable = useServerAction();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);

  const fields = (form: HTMLFormElement) => Object.fromEntries(new FormData(form)) as Record<string, string>;

  if (codes) {
    return (
      <>
        <ActionToast result={confirm.result?.ok ? confirm.result : regenerate.result} />
        <RecoveryCodes
          codes={codes}
          onDone={() => {
            setCodes(null);
            setEnrolment(null);
          }}
        />
      </>
    );
  }

  if (!enabledAt && enrolment) {
    return (
      <div className="enrol">
        {/* A data: URL made on the server from the otpauth:// URI; the same seed is spelled out beside it. */}
        {/* eslint-disable-next-line @next/next/no-img-element */}
        {/* biome-ignore lint/performance/noImgElement: a data: URL made on the server, nothing for next/image to optimise */}
        <img className="qr" src={enrolment.qrCode} alt="QR code to scan with your authenticator app" width={184} height={184} />
        <ol>
          <li>Scan the QR code with an authenticator app (1Password, Google Authenticator, Authy, your password manager…).</li>
          <li>
            Cannot scan? Enter this key by hand, as a time-based code:
            <div className="secret-row">
              <code className="secret" role="group" aria-label="Your setup key">
                {enrolment.secret.replace(/(.{4})(?=.)/g, "$1 ")}
              </code>
            </div>
          </li>
          <li>
            <form
              className="form"
              method="post"
              aria-label="Confirm multi-factor sign-in"
              style={{ maxWidth: "18rem" }}
              onSubmit={(event) => {
                event.preventDefault();
                const form = event.currentTarget;
                confirm.run(
                  () => confirmMfaEnrolmentAction(fields(form)),
                  (r) => setCodes(r.data!.recoveryCodes),
                );
              }}
            >
              <label>
                Code from your app
                <input
                  name="code"
                  type="text"
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  pattern="[0-9 ]{6,7}"
                  maxLength={7}
                  required
                  className="code-input"
                />
              </label>
              <div className="row-actions">
                <button className="button" type="submit" disabled={confirm.pending}>
                  {confirm.pending ? "Checking…" : "Turn on"}
                </button>
                <button type="button" className="link-button" onClick={() => setEnrolment(null)}>
                  Cancel
                </button>
              </div>
              <ActionToast result={confirm.result} />
            </form>
          </li>
        </ol>
      </div>
    );
  }

  if (!enabledAt) {
    return (
      <>
        <p style={{ marginTop: 0 }}>
          <span className="badge neutral">off</span> Your password alone signs you in. Add a code from an authenticator app on your phone, so a stolen password
          is not enough.
        </p>
        <form
          className="form"
          method="post"
          aria-label="Set up multi-factor sign-in"
          style={{ maxWidth: "28rem" }}
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            start.run(
              () => startMfaEnrolmentAction(fields(form)),
              (r) => {
                setEnrolment(r.data!);
                form.reset();
              },
            );
          }}
        >
          <ReauthFields withCode={false} idPrefix="start" />
          <button className="button" type="submit" disabled={start.pending} style={{ justifySelf: "start" }}>
            {start.pending ? "Checking…" : "Set up multi-factor sign-in"}
          </button>
          {start.result && !start.result.ok && <ActionToast result={start.result} />}
          {disable.result?.ok && <ActionToast result={disable.result} />}
        </form>
      </>
    );
  }

  return (
    <>
      <p style={{ marginTop: 0 }}>
        <span className="badge active">on</span> Since {enabledLabel}. Signing in asks for a code from your authenticator app.{" "}
        <strong>
          {recoveryCodesLeft} recovery code{recoveryCodesLeft === 1 ? "" : "s"} left.
        </strong>
      </p>
      {recoveryCodesLeft <= 3 && (
        <p className="notice" style={{ marginTop: 0 }}>
          Few recovery codes left: make new ones below.
        </p>
      )}
      <div className="mfa-forms">
        <form
          className="form"
          method="post"
          aria-label="New recovery codes"
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            regenerate.run(
              () => regenerateRecoveryCodesAction(fields(form)),
              (r) => {
                setCodes(r.data!.recoveryCodes);
                form.reset();
              },
            );
          }}
        >
          <h3>New recovery codes</h3>
          <ReauthFields withCode idPrefix="regenerate" />
          <button className="button secondary" type="submit" disabled={regenerate.pending} style={{ justifySelf: "start" }}>
            Make new recovery codes
          </button>
          {regenerate.result && !regenerate.result.ok && <ActionToast result={regenerate.result} />}
        </form>
        {mayDisable ? (
          <form
            className="form"
            method="post"
            aria-label="Turn off multi-factor sign-in"
            onSubmit={(event) => {
              event.preventDefault();
              const form = event.currentTarget;
              disable.run(
                () => disableMfaAction(fields(form)),
                () => form.reset(),
              );
            }}
          >
            <h3>Turn off</h3>
            <ReauthFields withCode idPrefix="disable" />
            <button className="button secondary" type="submit" disabled={disable.pending} style={{ justifySelf: "start" }}>
              Turn off multi-factor sign-in
            </button>
            <ActionToast result={disable.result} />
          </form>
        ) : (
          <div>
            <h3>Turn off</h3>
            <p className="sub" style={{ margin: 0 }}>
              {required
                ? "An admin requires multi-factor sign-in for all staff, so it stays on. Lost your device? Use a recovery code, or ask an admin to reset it."
                : "An admin's multi-factor sign-in stays on once set up. Lost your device? Use a recovery code, or ask another admin to reset it."}
            </p>
          </div>
        )}
      </div>
    </>
  );
}
