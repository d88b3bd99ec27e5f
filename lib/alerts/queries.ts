import "server-only";
import { getPrisma } from "../db";

export const ALERT_FILTERS = ["open", "acknowledged", "resolved"] as const;

/** Alerts in one state, newest first, with their key's prefix and organization. */
export async function listAlerts(status: (typeof ALERT_FILTERS)[number]) {
  const prisma = await getPrisma();
  const [alerts, counts] = await Promise.all([
    prisma.alert.findMany({ where: { status }, orderBy: { createdAt: "desc" }, take: 200 }),
    prisma.alert.groupBy({ by: ["status"], _count: { _all: true } }),
  ]);
  const keyIds = [...new Set(alerts.map((a) => a.keyId).filter((x): x is string => !!x))];
  const keys = keyIds.length
    ? await prisma.apiKey.findMany({ where: { id: { in: keyIds } }, select: { id: true, prefix: true, organization: { select: { name: true } } } })
    : [];
  const byId = new Map(keys.map((k) => [k.id, k]));
  return {
    alerts: alerts.map((a) => ({ ...a, key: a.keyId ? (byId.get(a.keyId) ?? null) : null })),
    counts: Object.fromEntries(counts.map((c) => [c.status, c._count._all])) as Record<string, number>,
  };
}
