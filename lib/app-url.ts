import { env } from "./env";
// No "server-only": pure configuration, read by mail, webhooks and passkeys alike.

/** The app's public base URL, no trailing slash: REKEY_PUBLIC_URL, else NEXTAUTH_URL, else http://localhost:3000. */
export function appUrl(): string {
  return (env("REKEY_PUBLIC_URL") ?? env("NEXTAUTH_URL") ?? "http://localhost:3000").replace(/\/+$/, "");
}
