import "server-only";
import type { Db, Tx } from "../db";
import { DEFAULT_POLICY, type EffectivePolicy } from "./defaults";

/** The policy that governs an organization: its own, else the default policy, else DOMAIN.md's defaults. */
export async function getEffectivePolicy(db: Db | Tx, organizationId: string): Promise<EffectivePolicy> {
  const org = await db.organization.findUnique({ where: { id: organizationId }, select: { policy: true } });
  const policy = org?.policy ?? (await db.rotationPolicy.findFirst({ where: { isDefault: true } }));
  return policy ?? { id: null, ...DEFAULT_POLICY };
}
