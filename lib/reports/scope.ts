import "server-only";
import { parseInput } from "../validation";
import { ValidationError } from "../errors";
import { cutAtInstant, reportQuerySchema, resolvePeriod, type ReportScope } from "./period";

/**
 * A report's scope from a query string (the Reports form, a download link, the
 * monthly email), or a ValidationError naming the field. A period that has not
 * ended is cut at its `asOf` instant (presets are resolved at that instant too,
 * so "this month" in a link stays the month it named); without one, at now to
 * the minute, and `implied` says the link did not name it.
 */
export function reportScopeFromSearch(search: URLSearchParams | Record<string, string | string[] | undefined>, now: Date): ReportScope & { implied: boolean } {
  const raw =
    search instanceof URLSearchParams
      ? Object.fromEntries(search)
      : Object.fromEntries(Object.entries(search).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const q = parseInput(reportQuerySchema, raw);
  if (q.asOf && q.asOf > now) throw new ValidationError(`asOf: must not be in the future (it is ${now.toISOString()} now)`, "asOf");
  const period = resolvePeriod(q, q.asOf ?? now);
  if (q.asOf && q.asOf <= period.from) throw new ValidationError(`asOf: must be after the period's start, ${period.from.toISOString()}`, "asOf");
  return { ...cutAtInstant(period, q.asOf, now), organizationId: q.org, environment: q.env };
}
