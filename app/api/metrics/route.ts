import { publicHandler } from "@/lib/http/api-handler";
import { bearer, requireEnvSecret } from "@/lib/http/bearer";
import { authenticateManagementRequest } from "@/lib/auth/management-tokens";
import { renderMetrics } from "@/lib/metrics";
import { isSet } from "@/lib/env";

/**
 * Prometheus metrics. Authorized by Authorization: Bearer $METRICS_TOKEN, or
 * by a management token (so an admin can set up scraping from the UI).
 */
export const GET = publicHandler(async ({ request, now }) => {
  const token = bearer(request);
  if (isSet("METRICS_TOKEN") && token && !token.startsWith("rkm_")) requireEnvSecret(request, "METRICS_TOKEN");
  else await authenticateManagementRequest(request, now);
  const { body, contentType } = await renderMetrics(now);
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
});
