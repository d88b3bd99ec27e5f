import { z } from "zod";
import { bodyLimit, verifierHandler } from "@/lib/http/api-handler";
import { DATE_RANGE_MESSAGE, isWithinDateRange, parseInput } from "@/lib/validation";
import { mergeUsageReport } from "@/lib/keys/usage";

// Times stay strings here (merged as they come), so the range parseInput holds Dates to is checked on them.
const timeSchema = z.iso.datetime({ message: "must be an ISO 8601 time" }).refine((t) => isWithinDateRange(Date.parse(t)), DATE_RANGE_MESSAGE);
const hourSchema = timeSchema.refine((h) => Date.parse(h) % 3_600_000 === 0, "must be the start of an hour");
const countSchema = z.number().int("must be a whole number").min(0, "must not be negative").max(1e9, "is too large");

const usageReportSchema = z.object({
  keys: z
    .array(
      z.object({
        keyId: z.string().min(1).max(100),
        hour: hourSchema,
        verifications: countSchema,
        rejected: countSchema,
        firstUsedAt: timeSchema.optional(),
        lastUsedAt: timeSchema.optional(),
      }),
    )
    .max(50_000, "at most 50000 entries per report"),
  results: z
    .array(z.object({ hour: hourSchema, result: z.enum(["valid", "deprecated", "revoked", "expired", "unknown", "malformed"]), count: countSchema }))
    .max(10_000, "at most 10000 entries per report"),
});

/**
 * The largest report the schema allows: 50000 key entries of about 300 bytes
 * (a 100-character keyId, four times, counts) and 10000 results of about 90
 * come to some 15 MB; past that a body cannot be a valid report.
 */
const USAGE_REPORT_BODY = bodyLimit(16 * 1024 * 1024);

/**
 * An in-process verifier's usage counts (per key and hour, first and last
 * use, results), merged into rekey's own and written with its next batch:
 * they feed last-used times, the charts, the alerts, and the extension rule.
 */
export const POST = verifierHandler(async ({ readJson }) => {
  mergeUsageReport(parseInput(usageReportSchema, await readJson()));
  return new Response(null, { status: 204 });
}, USAGE_REPORT_BODY);
