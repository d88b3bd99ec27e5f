import { headers } from "next/headers";
import { ACCOUNT_PAGE, requirePagePermission } from "@/lib/auth/authorize";

/**
 * Checks the viewer before the page streams, so the status code is right
 * (a redirect to sign-in, or 403). Each page checks again for itself: this
 * is for the status code and comfort, not the security check.
 */
export default async function StaffLayout({ children }: { children: React.ReactNode }) {
  const path = (await headers()).get("x-rekey-path");
  await requirePagePermission("staff:read", path?.startsWith("/dashboard") ? path : "/dashboard", { accountPage: path?.startsWith(ACCOUNT_PAGE) });
  return children;
}
