import type { Metadata } from "next";
import { connection } from "next/server";
import { requirePagePermission } from "@/lib/auth/authorize";
import { SessionsCard } from "@/app/_account/sessions-card";

export const metadata: Metadata = { title: "Your sessions" };

export default async function PortalAccountPage() {
  await connection();
  const viewer = await requirePagePermission("portal:use", "/portal/account");
  return (
    <>
      <h1>Your sessions</h1>
      <p className="lede">You sign in as {viewer.email} with a link we email you; you have no password to change.</p>
      <SessionsCard viewer={viewer} now={new Date()} />
    </>
  );
}
