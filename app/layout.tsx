import type { Metadata, Viewport } from "next";
import Link from "next/link";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "rekey", template: "%s · rekey" },
  description: "API keys that rotate themselves, with an overlap so no client goes down.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand" aria-label="rekey home">
            <span className="brand-mark" aria-hidden="true">⟳</span> rekey
          </Link>
          <nav aria-label="Main">
            <Link href="/dashboard/keys">Keys</Link>
            <a href="/api/v1/openapi.json">API</a>
          </nav>
        </header>
        <main className="page">{children}</main>
      </body>
    </html>
  );
}
