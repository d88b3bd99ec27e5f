import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { getViewer } from "@/lib/auth/viewer";
import { SignInForm } from "./_components/sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

type SignInPageProps = { searchParams: Promise<{ callbackUrl?: string }> };

/** Only a path on this site may be the destination after sign-in. */
function safeReturn(url: string | undefined) {
  return url && url.startsWith("/") && !url.startsWith("//") ? url : "/dashboard/keys";
}

export default async function SignInPage({ searchParams }: SignInPageProps) {
  const returnTo = safeReturn((await searchParams).callbackUrl);
  if (await getViewer()) redirect(returnTo);
  return (
    <div className="auth-card">
      <h1>Sign in to rekey</h1>
      <p className="lede">Staff sign in with their email and password.</p>
      <SignInForm returnTo={returnTo} />
    </div>
  );
}
