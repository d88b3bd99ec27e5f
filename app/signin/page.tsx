import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth/viewer";
import { safeReturnPath } from "@/lib/auth/redirect";
import { SignInForm } from "./_components/sign-in-form";
import { EmailLinkForm } from "./_components/email-link-form";

export const metadata: Metadata = { title: "Sign in" };

type SignInPageProps = { searchParams: Promise<{ callbackUrl?: string; sent?: string; error?: string }> };

/** What next-auth's error codes mean to the person signing in. */
const ERRORS: Record<string, string> = {
  Verification: "That sign-in link has expired or was already used. Ask for a new one below.",
  AccessDenied: "That link cannot sign you in. Staff sign in with their password.",
  EmailSignin: "The sign-in email could not be sent. Try again in a minute.",
  SecondFactorRequired: "Your account uses multi-factor sign-in: enter your email, password and code with scripts enabled.",
};

export default async function SignInPage({ searchParams }: SignInPageProps) {
  const params = await searchParams;
  const returnTo = safeReturnPath(params.callbackUrl, "/dashboard/keys");
  if (await getViewer()) redirect(returnTo);
  const error = params.error ? (ERRORS[params.error] ?? "Signing in did not work. Try again.") : null;
  return (
    <div className="auth-card">
      <h1>Sign in to rekey</h1>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <p className="lede">Staff sign in with their email and password, or a passkey.</p>
      <SignInForm returnTo={returnTo} />
      <h2>Customers</h2>
      <p className="lede">We email you a link that signs you in; no password needed.</p>
      <EmailLinkForm returnTo={params.callbackUrl ? returnTo : "/portal"} sent={params.sent === "1"} />
    </div>
  );
}
