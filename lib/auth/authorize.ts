import "server-only";
import { forbidden, redirect } from "next/navigation";
import { ForbiddenError, ReauthenticationRequiredError, UnauthorizedError } from "../errors";
import { roleMay, type Permission } from "./permissions";
import { getViewer, type Viewer } from "./viewer";

/**
 * The one authorization check for server actions and route handlers: the
 * signed-in viewer if their role has the permission, else an
 * UnauthorizedError (not signed in) or ForbiddenError.
 */
export async function requirePermission(permission: Permission): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) throw new UnauthorizedError("Sign in first.");
  if (!roleMay(viewer.role, permission)) throw new ForbiddenError("Your role does not allow this.");
  if (viewer.mustChangePassword && permission !== "account:manage") throw new ForbiddenError(`Choose your own password first: ${ACCOUNT_PAGE}.`);
  if (viewer.mustEnrollMfa && permission !== "account:manage") throw new ForbiddenError(`Set up multi-factor sign-in first: ${ACCOUNT_PAGE}.`);
  return viewer;
}

/**
 * The same check for pages: a visitor goes to sign-in; a signed-in user
 * without the permission gets a 403 page; one who must replace a one-time
 * password, or set up multi-factor sign-in an admin requires, goes to the
 * account page (`accountPage`: this is it), where both are done.
 */
export async function requirePagePermission(permission: Permission, returnTo: string, options: { accountPage?: boolean } = {}): Promise<Viewer> {
  const viewer = await getViewer();
  if (!viewer) redirect(`/signin?callbackUrl=${encodeURIComponent(returnTo)}`);
  if (!roleMay(viewer.role, permission)) forbidden();
  // A one-time password from an admin is replaced before anything else is shown.
  if (viewer.mustChangePassword && !options.accountPage) redirect(`${ACCOUNT_PAGE}?first=1`);
  if (viewer.mustEnrollMfa && !options.accountPage) redirect(`${ACCOUNT_PAGE}?mfa=1`);
  return viewer;
}

/** Where a staff member sees their sessions, changes their password and sets up multi-factor sign-in. */
export const ACCOUNT_PAGE = "/dashboard/account";

/** How recent a sign-in must be to reveal a key. */
export const RECENT_SIGN_IN_MINUTES = 10;

/**
 * Revealing a key needs a sign-in from the last RECENT_SIGN_IN_MINUTES
 * minutes, not just a live session: a laptop left open for an hour does not
 * hand out keys.
 */
export function requireRecentSignIn(viewer: Viewer, now: Date, what = "reveal a key"): void {
  if (now.getTime() - viewer.signedInAt.getTime() > RECENT_SIGN_IN_MINUTES * 60_000) {
    throw new ReauthenticationRequiredError(`For your safety, sign in again to ${what}: your sign-in is more than ${RECENT_SIGN_IN_MINUTES} minutes old.`);
  }
}
