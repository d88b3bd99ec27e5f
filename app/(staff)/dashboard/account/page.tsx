import type { Metadata } from "next";
import { connection } from "next/server";
import { ACCOUNT_PAGE, requirePagePermission } from "@/lib/auth/authorize";
import { SessionsCard } from "@/app/_account/sessions-card";
import { ChangePasswordForm } from "@/app/_account/session-controls";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  await connection();
  const viewer = await requirePagePermission("staff:read", ACCOUNT_PAGE, { accountPage: true });
  const now = new Date();
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
      <section className="card" aria-labelledby="password-heading" style={{ marginBottom: "1rem" }}>
        <h2 id="password-heading" style={{ marginTop: 0 }}>
          Password
        </h2>
        <ChangePasswordForm />
      </section>
      {!viewer.mustChangePassword && <SessionsCard viewer={viewer} now={now} />}
    </>
  );
}
