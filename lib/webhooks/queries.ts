import "server-only";
import { getPrisma } from "../db";
import type { OrganizationScope } from "../auth/scope";
import { NotFoundError } from "../errors";
import { countBySealingSecret } from "../secret";
import { webhookDeliverySelect, webhookEndpointSelect } from "./views";

/**
 * Endpoints in scope with their delivery counts (pending, failed) and last
 * delivery: a customer's organization's, or for staff every endpoint (or
 * one organization's with `organizationId`).
 */
export async function listWebhookEndpoints(scope: OrganizationScope, filter: { organizationId?: string } = {}) {
  const prisma = await getPrisma();
  const organizationId = scope.organizationId ?? filter.organizationId;
  const endpoints = await prisma.webhookEndpoint.findMany({
    where: organizationId ? { organizationId } : {},
    select: { ...webhookEndpointSelect, organization: { select: { name: true } } },
    orderBy: { createdAt: "asc" },
  });
  if (endpoints.length === 0) return [];
  const counts = await prisma.$queryRaw<{ endpointId: string; pending: number; failed: number; sent: number; lastAt: Date | null }[]>`
    SELECT "endpointId", count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'failed')::int AS failed,
           count(*) FILTER (WHERE status = 'sent')::int AS sent, max("lastAttemptAt") AS "lastAt"
    FROM webhook_deliveries WHERE "endpointId" = ANY(${endpoints.map((e) => e.id)}::text[]) GROUP BY "endpointId"`;
  const byId = new Map(counts.map((c) => [c.endpointId, c]));
  return endpoints.map((e) => ({ ...e, deliveries: byId.get(e.id) ?? { pending: 0, failed: 0, sent: 0, lastAt: null } }));
}

export type WebhookEndpointListItem = Awaited<ReturnType<typeof listWebhookEndpoints>>[number];

/** One endpoint in scope and its latest deliveries (newest first): the delivery log. */
export async function getWebhookEndpoint(id: string, scope: OrganizationScope, limit = 50) {
  const prisma = await getPrisma();
  const endpoint = await prisma.webhookEndpoint.findUnique({ where: { id }, select: { ...webhookEndpointSelect, organization: { select: { name: true } } } });
  if (!endpoint || (scope.organizationId !== undefined && endpoint.organizationId !== scope.organizationId))
    throw new NotFoundError("No such webhook endpoint.");
  const deliveries = await prisma.webhookDelivery.findMany({
    where: { endpointId: id },
    select: webhookDeliverySelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: Math.min(Math.max(limit, 1), 200),
  });
  return { endpoint, deliveries };
}

/**
 * How many webhook signing secrets (current and, during a rotation, previous)
 * are sealed under each data secret: the Secrets page's count. The cron moves
 * those under a previous one (resealWebhookSecrets); one under a secret no
 * longer configured cannot sign: rotate that endpoint's secret.
 */
export async function webhookSecretsByDataSecret() {
  const prisma = await getPrisma();
  const rows = await prisma.$queryRaw<{ id: string; n: number }[]>`
    SELECT CASE WHEN s LIKE 'v2.%' THEN split_part(s, '.', 2) ELSE 'v1' END AS id, count(*)::int AS n
    FROM (SELECT secret AS s FROM webhook_endpoints UNION ALL SELECT "previousSecret" FROM webhook_endpoints WHERE "previousSecret" IS NOT NULL) x
    GROUP BY 1`;
  return countBySealingSecret(rows);
}
