import "server-only";
import { getPrisma } from "../db";

/** Keys by status and rotations by state, for the home page's figures. */
export async function getKeyStats() {
  const prisma = await getPrisma();
  const [byStatus, byState, organizations] = await Promise.all([
    prisma.apiKey.groupBy({ by: ["status"], _count: { _all: true } }),
    prisma.rotation.groupBy({ by: ["state"], _count: { _all: true } }),
    prisma.organization.count(),
  ]);
  const status = Object.fromEntries(byStatus.map((s) => [s.status, s._count._all])) as Record<string, number>;
  const state = Object.fromEntries(byState.map((s) => [s.state, s._count._all])) as Record<string, number>;
  return {
    organizations,
    keys: byStatus.reduce((n, s) => n + s._count._all, 0),
    active: status.active ?? 0,
    expiring: status.expiring ?? 0,
    revoked: status.revoked ?? 0,
    scheduledRotations: state.scheduled ?? 0,
    rotationsInGrace: state.grace ?? 0,
  };
}
