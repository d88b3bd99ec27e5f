import { z } from "zod";

/**
 * The scope of a report: a period [from, to) in UTC, one organization or all,
 * one environment or both. Presets are whole calendar months and quarters.
 */
export interface ReportScope {
  from: Date;
  to: Date;
  organizationId: string | null;
  environment: "live" | "test" | null;
  /** How a person names the period: "Q3 2026 (1 Jul – 30 Sep 2026)". */
  label: string;
  preset: ReportPreset;
  /**
   * For a period that had not ended: the instant it is reported as of. Then `to`
   * is that instant and `periodTo` the period's own end, and the same link gives
   * the same file whenever it is downloaded.
   */
  asOf?: Date | null;
  periodTo?: Date;
}

export const REPORT_PRESETS = ["this-month", "last-month", "this-quarter", "last-quarter", "custom"] as const;
export type ReportPreset = (typeof REPORT_PRESETS)[number];

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2026-07-01")
  .transform((s, ctx) => {
    const d = new Date(`${s}T00:00:00.000Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) {
      ctx.addIssue({ code: "custom", message: "is not a calendar date" });
      return z.NEVER;
    }
    return d;
  });

/** The report form's query string. Custom periods give the first and the last day, both included. */
export const reportQuerySchema = z
  .object({
    period: z.enum(REPORT_PRESETS, "must be this-month, last-month, this-quarter, last-quarter or custom").default("last-quarter"),
    // An empty date field (the form sends one when a preset is chosen) is no date.
    from: z.preprocess((v) => (v === "" ? undefined : v), day.optional()),
    to: z.preprocess((v) => (v === "" ? undefined : v), day.optional()),
    org: z
      .string()
      .max(100)
      .optional()
      .transform((v) => v || null),
    env: z
      .enum(["live", "test", ""], "must be live or test")
      .optional()
      .transform((v) => (v ? v : null)),
    /** The instant a period that has not ended is reported as of (UTC, whole seconds). */
    asOf: z.preprocess(
      (v) => (v === "" ? undefined : v),
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.000)?Z$/, "must be an instant in UTC like 2026-11-25T14:30:00Z")
        .transform((s, ctx) => {
          const d = new Date(s);
          if (Number.isNaN(d.getTime())) {
            ctx.addIssue({ code: "custom", message: "is not a valid instant" });
            return z.NEVER;
          }
          return d;
        })
        .optional(),
    ),
  })
  .superRefine((q, ctx) => {
    if (q.period !== "custom") return;
    if (!q.from) ctx.addIssue({ code: "custom", path: ["from"], message: "is required for a custom period" });
    if (!q.to) ctx.addIssue({ code: "custom", path: ["to"], message: "is required for a custom period" });
    if (q.from && q.to && q.to < q.from) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be before the first day" });
    if (q.from && q.to && q.to.getTime() - q.from.getTime() > 3 * 366 * 86_400_000)
      ctx.addIssue({ code: "custom", path: ["to"], message: "a period may span at most three years" });
  });
export type ReportQuery = z.input<typeof reportQuerySchema>;

const DAY_MS = 86_400_000;
const utcDay = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const utcMonth = new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });

function monthStart(y: number, m: number) {
  return new Date(Date.UTC(y, m, 1));
}

/** The period a preset names at `now` (UTC calendar), or the custom days. */
export function resolvePeriod(q: z.output<typeof reportQuerySchema>, now: Date): Pick<ReportScope, "from" | "to" | "label" | "preset"> {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const q0 = m - (m % 3);
  const span = (from: Date, to: Date) => `${utcDay.format(from)} – ${utcDay.format(new Date(to.getTime() - DAY_MS))}`;
  switch (q.period) {
    case "this-month": {
      const from = monthStart(y, m);
      return { from, to: monthStart(y, m + 1), label: `${utcMonth.format(from)} (${span(from, monthStart(y, m + 1))})`, preset: q.period };
    }
    case "last-month": {
      const from = monthStart(y, m - 1);
      return { from, to: monthStart(y, m), label: `${utcMonth.format(from)} (${span(from, monthStart(y, m))})`, preset: q.period };
    }
    case "this-quarter":
    case "last-quarter": {
      const start = q.period === "this-quarter" ? q0 : q0 - 3;
      const from = monthStart(y, start);
      const to = monthStart(y, start + 3);
      return { from, to, label: `Q${Math.floor(from.getUTCMonth() / 3) + 1} ${from.getUTCFullYear()} (${span(from, to)})`, preset: q.period };
    }
    case "custom": {
      const from = q.from!;
      const to = new Date(q.to!.getTime() + DAY_MS);
      return { from, to, label: span(from, to), preset: q.period };
    }
  }
}

/** The query string that names a scope, for links (downloads, the monthly email): with its instant, for a period not yet ended. */
export function scopeQuery(scope: Pick<ReportScope, "from" | "to" | "organizationId" | "environment" | "preset" | "asOf" | "periodTo">): string {
  const p = new URLSearchParams({ period: scope.preset });
  if (scope.preset === "custom") {
    p.set("from", scope.from.toISOString().slice(0, 10));
    p.set("to", new Date((scope.periodTo ?? scope.to).getTime() - DAY_MS).toISOString().slice(0, 10));
  }
  if (scope.organizationId) p.set("org", scope.organizationId);
  if (scope.environment) p.set("env", scope.environment);
  if (scope.asOf) p.set("asOf", asOfParam(scope.asOf));
  return p.toString();
}

/** An instant as the asOf parameter writes it: UTC, whole seconds. */
export function asOfParam(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const asOfLabel = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/**
 * Cuts a period that has not ended at the instant it is reported as of:
 * `asOf` as asked, else now to the whole minute (`implied`: the caller should
 * send the reader to the link that names it). A period already over is left
 * whole, whatever instant was asked.
 */
export function cutAtInstant<T extends Pick<ReportScope, "from" | "to" | "label">>(
  period: T,
  asked: Date | undefined,
  now: Date,
): T & { asOf: Date | null; periodTo: Date; implied: boolean } {
  const instant = asked ?? new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  if (instant >= period.to) return { ...period, asOf: null, periodTo: period.to, implied: false };
  return { ...period, to: instant, asOf: instant, periodTo: period.to, label: `${period.label}, as of ${asOfLabel.format(instant)} UTC`, implied: !asked };
}
