import "server-only";
import { cache } from "react";
import { getServerSession } from "next-auth";
import { authOptions } from "./options";
import type { Role } from "./permissions";

export interface Viewer {
  userId: string;
  email: string;
  role: Role;
  /** The customer's organization; null for staff. */
  orgId: string | null;
  /** When this session's sign-in happened (not when the cookie was last refreshed). */
  signedInAt: Date;
  /** The session's row (lib/auth/sessions.ts). */
  sessionId: string;
  /** Holds a one-time password an admin handed over: nothing but choosing their own is allowed. */
  mustChangePassword?: boolean;
  /** Staff without multi-factor sign-in while an admin requires it: nothing but enrolling is allowed. */
  mustEnrollMfa?: boolean;
}

/**
 * The signed-in user, once per request. next-auth's jwt callback reads the
 * session's row and its user from the database at every request
 * (lib/auth/sessions.ts): an ended session, a disabled user or a changed
 * role takes effect at the next request, whatever the cookie says.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  const session = await getServerSession(authOptions);
  const user = session?.user;
  if (!user?.id || !user.sessionId) return null;
  return {
    userId: user.id,
    email: user.email,
    role: user.role,
    orgId: user.organizationId,
    signedInAt: new Date(user.signedInAt),
    sessionId: user.sessionId,
    mustChangePassword: user.mustChangePassword,
    mustEnrollMfa: user.mustEnrollMfa,
  };
});
