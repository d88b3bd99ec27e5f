import type { Metadata, Viewport } from "next";
import Link from "next/link";
import { NavLink } from "@/components/nav-link";
import { getViewer } from "@/lib/auth/viewer";
import { roleMay } from "@/lib/auth/permissions";
import { SignOutButton } from "@/components/sign-out-button";
import { SearchShortcut } from "@/components/search-shortcut";
import { MenuButton } from "@/components/menu-button";
import { findKeyAction } from "./(staff)/dashboard/keys/actions";
import { countOpenAlerts } from "@/lib/alerts/queries";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "rekey", template: "%s · rekey" },
  description: "API keys that rotate themselves, with an overlap so no client goes down.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const viewer = await getViewer();
  const openAlerts = viewer && roleMay(viewer.role, "staff:read") ? await countOpenAlerts() : 0;
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand" aria-label="rekey home">
            <span className="brand-mark" aria-hidden="true">
              ⟳
            </span>{" "}
            rekey
          </Link>
          {viewer && roleMay(viewer.role, "staff:read") && (
            <form className="global-search" role="search" aria-label="Find a key" action={findKeyAction}>
              <label className="sr-only" htmlFor="global-search">
                Find a key by full key, prefix, name or organization
              </label>
              {/* autoComplete off: the browser must not keep a pasted key in its form history. */}
              <input
                id="global-search"
                name="q"
                type="search"
                placeholder="Find a key  ⌘K"
                autoComplete="off"
                spellCheck={false}
                aria-keyshortcuts="Meta+K Control+K"
              />
              <SearchShortcut inputId="global-search" />
            </form>
          )}
          {viewer && <MenuButton navId="main-nav" />}
          <nav id="main-nav" aria-label="Main">
            {viewer && roleMay(viewer.role, "staff:read") && (
              <>
                <NavLink href="/dashboard">Overview</NavLink>
                <NavLink href="/dashboard/keys">Keys</NavLink>
                <NavLink href="/dashboard/organizations">Organizations</NavLink>
                <NavLink href="/dashboard/policies">Policies</NavLink>
                <NavLink href="/dashboard/alerts">
                  Alerts
                  {openAlerts > 0 && (
                    <span className="nav-count" title={`${openAlerts} open`}>
                      <span className="sr-only"> (</span>
                      {openAlerts.toLocaleString("en")}
                      <span className="sr-only"> open)</span>
                    </span>
                  )}
                </NavLink>
                <NavLink href="/dashboard/secrets">Secrets</NavLink>
              </>
            )}
            {viewer && roleMay(viewer.role, "reports:download") && <NavLink href="/dashboard/reports">Reports</NavLink>}
            {viewer && roleMay(viewer.role, "webhooks:manage") && <NavLink href="/dashboard/webhooks">Webhooks</NavLink>}
            {viewer && roleMay(viewer.role, "users:manage") && (
              <>
                <NavLink href="/dashboard/users">Users</NavLink>
                <NavLink href="/dashboard/tokens">Tokens</NavLink>
                <NavLink href="/dashboard/outbox">Outbox</NavLink>
              </>
            )}
            {viewer && roleMay(viewer.role, "portal:use") && (
              <>
                <NavLink href="/portal" also={["/portal/keys"]}>
                  My keys
                </NavLink>
                <NavLink href="/portal/contacts">Contacts</NavLink>
                <NavLink href="/portal/webhooks">Webhooks</NavLink>
              </>
            )}
            <NavLink href="/docs/api">API</NavLink>
            {viewer ? (
              <span className="who">
                <NavLink
                  className="sub"
                  href={roleMay(viewer.role, "portal:use") ? "/portal/account" : "/dashboard/account"}
                  title={`Your account (${viewer.email}, ${viewer.role}): sessions and password`}
                >
                  {roleMay(viewer.role, "users:manage") ? (
                    // An admin's navigation is the longest: on a laptop the account link is one word, the address on hover.
                    <>
                      <span className="who-long">
                        {viewer.email} · {viewer.role}
                      </span>
                      <span className="who-short">Account</span>
                    </>
                  ) : (
                    `${viewer.email} · ${viewer.role}`
                  )}
                </NavLink>
                <SignOutButton />
              </span>
            ) : (
              <NavLink href="/signin">Sign in</NavLink>
            )}
          </nav>
        </header>
        <main className="page">{children}</main>
      </body>
    </html>
  );
}
