import { z } from "zod";
import { ValidationError } from "./errors";

/**
 * The dates accepted anywhere: 1970 to the end of 9999. PostgreSQL's
 * timestamptz goes further (4713 BC to 294276 AD) but JavaScript's Date, ISO
 * 8601 without an extended year, and every date this app means (an expiry,
 * a schedule, an hour of use) fit in these; a date outside is a typo or a
 * probe, and past PostgreSQL's range it would fail the query (a 500).
 */
export const EARLIEST_DATE = new Date("1970-01-01T00:00:00.000Z");
export const LATEST_DATE = new Date("9999-12-31T23:59:59.999Z");
export const DATE_RANGE_MESSAGE = "must be a date between 1970 and 9999";

/** Whether a time (ms since the epoch) is within EARLIEST_DATE..LATEST_DATE. */
export function isWithinDateRange(ms: number): boolean {
  return ms >= EARLIEST_DATE.getTime() && ms <= LATEST_DATE.getTime();
}

/**
 * Parses input with a zod schema; a failure becomes a ValidationError naming
 * the first bad field. Every schema's output is also held to what the
 * database can store, so no schema can forget it: no NUL character in a
 * string (PostgreSQL refuses it, error 22021) and no date outside 1970–9999.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.join(".");
    throw new ValidationError(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
  }
  const bad = unstorable(result.data, []);
  if (bad) {
    const field = bad.path.join(".");
    throw new ValidationError(field ? `${field}: ${bad.message}` : bad.message, field || undefined);
  }
  return result.data;
}

/**
 * The first value in a parsed input that the database cannot store. Walks
 * only what the schema let through, so its depth is the schema's.
 */
function unstorable(value: unknown, path: (string | number)[]): { path: (string | number)[]; message: string } | null {
  if (typeof value === "string") return value.includes("\0") ? { path, message: "must not contain a NUL character" } : null;
  if (value instanceof Date) return isWithinDateRange(value.getTime()) ? null : { path, message: DATE_RANGE_MESSAGE };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = unstorable(value[i], [...path, i]);
      if (bad) return bad;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const bad = unstorable(item, [...path, key]);
      if (bad) return bad;
    }
  }
  return null;
}
