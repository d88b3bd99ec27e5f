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
 * string (PostgreSQL refuses it, error 22021), no lone surrogate (no UTF-8
 * for it: PGlite refuses it, a server would store U+FFFD instead) and no
 * date outside 1970–9999. An object this function returned, given back
 * with the same schema, is returned as it is (see `parsedBy`).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (typeof input === "object" && input !== null && parsedBy.get(input) === schema) return input as z.output<S>;
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    // A strict schema's unknown field: name it, as every other bad field is named.
    if (issue.code === "unrecognized_keys") {
      const field = [...issue.path, issue.keys[0]].join(".");
      throw new ValidationError(`${field}: is not a field that can be set here`, field);
    }
    const field = issue.path.join(".");
    throw new ValidationError(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
  }
  const bad = unstorable(result.data, []);
  if (bad) {
    const field = bad.path.join(".");
    throw new ValidationError(field ? `${field}: ${bad.message}` : bad.message, field || undefined);
  }
  markParsed(result.data, schema);
  return result.data;
}

/**
 * What each parsed input was parsed with. Input is validated once, at the
 * edge (a route's `body` schema, a server action's schema), and the domain
 * function it is handed owns the same schema and parses again only what it
 * did not get from that parse: the value the edge parsed (this very object,
 * with this schema) passes through as it is. A domain function called from
 * anywhere else (the cron, a script, a test) still validates its input.
 */
const parsedBy = new WeakMap<object, z.ZodType>();

/** Marks a parse's output, and an object's fields by their own schemas (`{ tokens: leakReportsSchema }` → the tokens). */
function markParsed(value: unknown, schema: z.ZodType) {
  if (typeof value !== "object" || value === null) return;
  parsedBy.set(value, schema);
  if (schema instanceof z.ZodObject) {
    for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const item = (value as Record<string, unknown>)[name];
      if (typeof item === "object" && item !== null) parsedBy.set(item, field);
    }
  }
}

/** How deep a parsed input may nest objects and arrays. */
const MAX_DEPTH = 64;

/** Half of a UTF-16 surrogate pair without its other half: JSON can carry it (`"\ud800"`), UTF-8 cannot. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a text cannot be stored as it is (PostgreSQL refuses a NUL; a lone surrogate has no UTF-8), or null. */
function badText(text: string): string | null {
  if (text.includes("\0")) return "must not contain a NUL character";
  if (LONE_SURROGATE.test(text)) return "must be valid Unicode text (it holds half of a surrogate pair, such as \\ud800)";
  return null;
}

/**
 * The first value in a parsed input that the database cannot store, or
 * one nested past MAX_DEPTH. Walks only what the schema let through, which
 * for z.unknown() (metadata, an import's lines) is any JSON.
 */
function unstorable(value: unknown, path: (string | number)[]): { path: (string | number)[]; message: string } | null {
  // JSON nests without bound, this walk must not (a body of 10,000 "[" would overflow the stack: a 500).
  if (path.length > MAX_DEPTH && typeof value === "object" && value !== null) return { path, message: `is nested more than ${MAX_DEPTH} levels deep` };
  if (typeof value === "string") {
    const message = badText(value);
    return message ? { path, message } : null;
  }
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
      const badKey = badText(key);
      if (badKey) return { path: [...path, key], message: `its name ${badKey}` };
      const bad = unstorable(item, [...path, key]);
      if (bad) return bad;
    }
  }
  return null;
}

/** How large a `metadata` object may be, as UTF-8 JSON: small enough to travel in every verify answer. */
export const METADATA_MAX_BYTES = 4096;

/**
 * The API company's own id for an organization or a key (DOMAIN.md is silent
 * on its shape, so anything printable without spaces: `cus_123`, a UUID, an
 * email). Unique per table across the installation; null clears it.
 */
export const externalIdSchema = z
  .string("must be a string")
  .min(1, "must not be empty (send null to clear it)")
  .max(255, "must be at most 255 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces, such as cus_8f2a");

/**
 * A small JSON object the API company attaches to an organization or a key,
 * returned by verify. An object (not an array, string or null), at most
 * METADATA_MAX_BYTES serialized; no NUL character anywhere, names included
 * (PostgreSQL's jsonb refuses it).
 */
export const metadataSchema = z
  .record(z.string().max(METADATA_MAX_BYTES), z.unknown(), "must be a JSON object")
  .refine((m) => Buffer.byteLength(JSON.stringify(m), "utf8") <= METADATA_MAX_BYTES, `must be at most ${METADATA_MAX_BYTES} bytes as JSON`)
  .refine((m) => !JSON.stringify(m).includes("\\u0000"), "must not contain a NUL character");
