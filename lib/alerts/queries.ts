import "server-only";
import { getPrisma } from "../db";
import type { AlertFilter } from "./schemas";

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

export const ALERT_PAGE_SIZE = 50;

/**
 * One page of the alerts inbox (newest first) for a filter, with the counts
 * it shows beside it: per state (under the other filters) and per type
 * (under the state and the other filters), and the organizations to filter by.
 */
export async function listAlertInbox(filter: AlertFilter, page: number) {
  const prisma = await getPrisma();
  const others = {
    ...(filter.severity ? { severity: filter.severity } : {}),
    ...(filter.organizationId ? { organizationId: filter.organizationId } : {}),
  };
  const where = { status: filter.state, ...others, ...(filter.kind ? { kind: filter.kind } : {}) };
  const current = Math.max(1, Math.floor(page));
  const [alerts, total, states, kinds, organizations] = await Promise.all([
    prisma.alert.findMany({ where, orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: (current - 1) * ALERT_PAGE_SIZE, take: ALERT_PAGE_SIZE }),
    prisma.alert.count({ where }),
    prisma.alert.groupBy({ by: ["status"], where: { ...others, ...(filter.kind ? { kind: filter.kind } : {}) }, _count: { _all: true } }),
    prisma.alert.groupBy({ by: ["kind"], where: { status: filter.state, ...others }, _count: { _all: true }, orderBy: { kind: "asc" } }),
    prisma.organization.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true } }),
  ]);
  const keyIds = [...new Set(alerts.map((a) => a.keyId).filter((x): x is string => !!x))];
  const keys = keyIds.length ? await prisma.apiKey.findMany({ where: { id: { in: keyIds } }, select: { id: true, prefix: true } }) : [];
  const keyById = new Map(keys.map((k) => [k.id, k.prefix]));
  const orgById = new Map(organizations.map((o) => [o.id, o.name]));
  return {
    alerts: alerts.map((a) => ({
      id: a.id,
      kind: a.kind,
      severity: a.severity,
      status: a.status,
      message: a.message,
      createdAt: a.createdAt,
      keyId: a.keyId,
      keyPrefix: a.keyId ? (keyById.get(a.keyId) ?? null) : null,
      organization: a.organizationId ? (orgById.get(a.organizationId) ?? null) : null,
    })),
    total,
    page: current,
    pageSize: ALERT_PAGE_SIZE,
    stateCounts: Object.fromEntries(states.map((c) => [c.status, c._count._all])) as Partial<Record<AlertFilter["state"], number>>,
    kindCounts: kinds.map((k) => ({ kind: k.kind, count: k._count._all })),
    organizations,
  };
}

/** Open alerts, for the navigation's count. */
export async function countOpenAlerts(): Promise<number> {
  const prisma = await getPrisma();
  return prisma.alert.count({ where: { status: "open" } });
}
