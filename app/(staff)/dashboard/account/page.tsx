import type { Metadata } from "next";
import { connection } from "next/server";
import { ACCOUNT_PAGE, requirePagePermission } from "@/lib/auth/authorize";
import { getMfaStatus } from "@/lib/auth/mfa";
import { SessionsCard } from "@/app/_account/sessions-card";
import { ChangePasswordForm } from "@/app/_account/session-controls";
import { MfaCard } from "./_components/mfa-card";
import { PasskeysCard } from "./_components/passkeys-card";
import { listPasskeys, MAX_PASSKEYS_PER_USER } from "@/lib/auth/passkeys";
import { formatStaffTime } from "@/lib/time";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  await connection();
  const viewer = await requirePagePermission("staff:read", ACCOUNT_PAGE, { accountPage: true });
  const now = new Date();
  const [mfa, passkeys] = await Promise.all([getMfaStatus(viewer.userId), listPasskeys(viewer.userId)]);
  return (
    <>
      <h1>Your account</h1>
      <p className="lede">
        Signed in as <strong>{viewer.email}</strong>, {viewer.role}.
      </p>
      {viewer.mustChangePassword && (
        <p className="notice" role="alert">
          You signed in with a one-time password that an admin gave you. Choose your own password to go on.
        </p>
      )}
      {!viewer.mustChangePassword && viewer.mustEnrollMfa && (
        <p className="notice" role="alert">
          An admin requires multi-factor sign-in for all staff. Set it up below to go on, or sign in with a passkey.
        </p>
      )}
      <section className="card" aria-labelledby="password-heading" style={{ marginBottom: "1rem" }}>
        <h2 id="password-heading" style={{ marginTop: 0 }}>
          Password
        </h2>
        <ChangePasswordForm />
      </section>
      {!viewer.mustChangePassword && (
        <section className="card" aria-labelledby="mfa-heading" style={{ marginBottom: "1rem" }}>
          <h2 id="mfa-heading" style={{ marginTop: 0 }}>
            Multi-factor sign-in
          </h2>
          <MfaCard
            enabledAt={mfa.enabledAt?.toISOString() ?? null}
            enabledLabel={mfa.enabledAt ? formatStaffTime(mfa.enabledAt) : null}
            recoveryCodesLeft={mfa.recoveryCodesLeft}
            required={mfa.required}
            mayDisable={mfa.mayDisable}
          />
        </section>
      )}
      {!viewer.mustChangePassword && (
        <section className="card" aria-labelledby="passkeys-heading" style={{ marginBottom: "1rem" }}>
          <h2 id="passkeys-heading" style={{ marginTop: 0 }}>
            Passkeys
          </h2>
          <PasskeysCard
            passkeys={passkeys.map((p) => ({
              id: p.id,
              name: p.name,
              createdLabel: formatStaffTime(p.createdAt),
              lastUsedLabel: p.lastUsedAt ? formatStaffTime(p.lastUsedAt) : null,
              synced: p.deviceType === "multiDevice",
            }))}
            withCode={!!mfa.enabledAt}
            max={MAX_PASSKEYS_PER_USER}
          />
        </section>
      )}
      {!viewer.mustChangePassword && <SessionsCard viewer={viewer} now={now} />}
    </>
  );
}
