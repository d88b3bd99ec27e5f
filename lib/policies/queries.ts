import "server-only";
import { getPrisma, type Db, type Tx } from "../db";
import { DEFAULT_POLICY, type EffectivePolicy } from "./defaults";

/** The policy that governs an organization: its own, else the default policy, else DOMAIN.md's defaults. */
export async function getEffectivePolicy(db: Db | Tx, organizationId: string): Promise<EffectivePolicy> {
  const org = await db.organization.findUnique({ where: { id: organizationId }, select: { policy: true } });
  const policy = org?.policy ?? (await db.rotationPolicy.findFirst({ where: { isDefault: true } }));
  return policy ?? { id: null, ...DEFAULT_POLICY };
}

/** Every policy with the organizations that use it (those without one use the default). */
export async function listPolicies() {
  const prisma = await getPrisma();
  const [policies, unassigned] = await Promise.all([
    prisma.rotationPolicy.findMany({
      orderBy: [{ isDefault: "desc" }, { name: "asc" }],
      include: { organizations: { select: { id: true, name: true }, orderBy: { name: "asc" } } },
    }),
    prisma.organization.findMany({ where: { policyId: null }, select: { id: true, name: true }, orderBy: { name: "asc" } }),
  ]);
  return policies.map((p) => ({ ...p, organizations: p.isDefault ? [...p.organizations, ...unassigned] : p.organizations }));
}
