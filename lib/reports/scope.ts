import "server-only";
import { parseInput } from "../validation";
import { reportQuerySchema, resolvePeriod, type ReportScope } from "./period";

/** A report's scope from a query string (the Reports form, a download link, the monthly email), or a ValidationError naming the field. */
export function reportScopeFromSearch(search: URLSearchParams | Record<string, string | string[] | undefined>, now: Date): ReportScope {
  const raw = search instanceof URLSearchParams ? Object.fromEntries(search) : Object.fromEntries(Object.entries(search).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const q = parseInput(reportQuerySchema, raw);
  return { ...resolvePeriod(q, now), organizationId: q.org, environment: q.env };
}
