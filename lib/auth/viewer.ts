import "server-only";
import { cache } from "react";
import { getServerSession } from "next-auth";
import { getPrisma } from "../db";
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
}

/**
 * The signed-in user, once per request. The role and organization are read
 * from the database, not trusted from the cookie, so a disabled user or a
 * changed role takes effect at the next request.
 */
export const getViewer = cache(async (): Promise<Viewer | null> => {
  const session = await getServerSession(authOptions);
  const id = session?.user?.id;
  if (!id) return null;
  const prisma = await getPrisma();
  const user = await prisma.user.findUnique({ where: { id }, select: { id: true, email: true, role: true, organizationId: true, disabledAt: true } });
  if (!user || user.disabledAt) return null;
  return { userId: user.id, email: user.email, role: user.role, orgId: user.organizationId, signedInAt: new Date((session.user.authTime ?? 0) * 1000) };
});
