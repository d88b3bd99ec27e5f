import "server-only";
import { getPrisma } from "../db";
import { NotFoundError } from "../errors";
import { organizationViewSelect } from "./views";

/** Organizations with their policy and counts of keys in use and past max age (one grouped query). */
export async function listOrganizations(now: Date) {
  const prisma = await getPrisma();
  const policySelect = { id: true, name: true, exceptionReason: true } as const;
  const [orgs, defaultPolicy, counts] = await Promise.all([
    prisma.organization.findMany({ where: { deletedAt: null }, orderBy: { name: "asc" }, include: { policy: { select: policySelect } } }),
    prisma.rotationPolicy.findFirst({ where: { isDefault: true }, select: policySelect }),
    prisma.$queryRawUnsafe<{ organizationId: string; in_use: number; overdue: number }[]>(
      `SELECT k."organizationId",
              count(*)::int AS in_use,
              count(*) FILTER (WHERE k."createdAt" <= $1::timestamptz - make_interval(days =>
                COALESCE(p."maxAgeDays", (SELECT "maxAgeDays" FROM rotation_policies WHERE "isDefault" ORDER BY "createdAt" LIMIT 1), 90)))::int AS overdue
       FROM api_keys k JOIN organizations o ON o.id = k."organizationId" LEFT JOIN rotation_policies p ON p.id = o."policyId"
       WHERE k.status IN ('active', 'expiring') GROUP BY 1`,
      now,
    ),
  ]);
  const byOrg = new Map(counts.map((c) => [c.organizationId, c]));
  // An organization without a policy follows the default one: its exception (if any) applies to it too.
  return orgs.map((o) => ({
    ...o,
    exceptionReason: (o.policy ?? defaultPolicy)?.exceptionReason ?? null,
    keysInUse: byOrg.get(o.id)?.in_use ?? 0,
    overdue: byOrg.get(o.id)?.overdue ?? 0,
  }));
}

/** One organization with its contacts, policy and keys by status. */
export async function getOrganization(id: string) {
  const prisma = await getPrisma();
  const org = await prisma.organization.findUnique({ where: { id }, include: { policy: true } });
  if (!org) return null;
  const byStatus = await prisma.apiKey.groupBy({ by: ["status"], where: { organizationId: id }, _count: { _all: true } });
  return { ...org, keysByStatus: Object.fromEntries(byStatus.map((s) => [s.status, s._count._all])) as Record<string, number> };
}

/** Every organization for the management API (there are hundreds, not millions). */
export async function listOrganizationsForApi() {
  const prisma = await getPrisma();
  return prisma.organization.findMany({ where: { deletedAt: null }, orderBy: { name: "asc" }, select: organizationViewSelect });
}

/** One organization for the management API, with its keys by status; a deleted one is not found. */
export async function getOrganizationForApi(id: string) {
  const prisma = await getPrisma();
  const org = await prisma.organization.findFirst({ where: { id, deletedAt: null }, select: organizationViewSelect });
  if (!org) throw new NotFoundError("No such organization.");
  const byStatus = await prisma.apiKey.groupBy({ by: ["status"], where: { organizationId: id }, _count: { _all: true } });
  return { ...org, keysByStatus: Object.fromEntries(byStatus.map((s) => [s.status, s._count._all])) as Record<string, number> };
}
