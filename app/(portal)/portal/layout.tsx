import { headers } from "next/headers";
import { requirePagePermission } from "@/lib/auth/authorize";

/**
 * The customer portal: customers only (staff get a 403 and use the
 * dashboard). Checked before the page streams, for the status code; each
 * page and action checks again and scopes every read to the customer's own
 * organization.
 */
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const path = (await headers()).get("x-rekey-path");
  await requirePagePermission("portal:use", path?.startsWith("/portal") ? path : "/portal");
  return children;
}
