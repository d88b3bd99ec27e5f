import "server-only";
import { getPrisma } from "../db";
import { TooManyRequestsError } from "../errors";

export { clientAddress } from "./client-address";

export interface RateLimitOptions {
  /** Names the limit; part of every counter's key, so two limits never share a count. */
  name: string;
  points: number;
  durationSeconds: number;
}

/** Where a subject stands in its window: what the `RateLimit-*` headers say. */
export interface Quota {
  limit: number;
  remaining: number;
  /** Seconds until the window ends and the count starts again. */
  resetSeconds: number;
}

export interface RateLimit {
  /** Counts one request of `subject`; past the limit, throws TooManyRequestsError (429, with Retry-After) naming `what`. */
  take(subject: string, what: string, now: Date): Promise<Quota>;
  /** Counts one without refusing: for something known only afterwards to count (a failed attempt). */
  record(subject: string, now: Date): Promise<void>;
  /** Refuses, counting nothing, when `subject` has already used the limit in this window. */
  check(subject: string, what: string, now: Date): Promise<void>;
  /** Forgets `subject`'s count (a sign-in that succeeded clears its failures). */
  reset(subject: string): Promise<void>;
}

/**
 * A request limit shared by every instance: a fixed-window counter per
 * subject in PostgreSQL (`rate_limit_counters`), counted by one atomic
 * upsert, so N requests at once, through any instances, let exactly
 * `points` through. A fixed window lets a client spend the limit at the end
 * of one window and again at the start of the next (twice the rate for a
 * moment): enough to stop a runaway client or a guessing loop, the job of
 * these limits; a distributed attack is the API company's edge's.
 *
 * A window that started later than the stored one replaces it; an earlier
 * one (an instance whose clock is behind) counts in the stored window, so
 * skewed clocks never reset a count. The cron purges expired rows
 * (lib/cron/retention.ts).
 */
export function createRateLimit(options: RateLimitOptions): RateLimit {
  const durationMs = options.durationSeconds * 1000;
  const windowOf = (now: Date) => new Date(Math.floor(now.getTime() / durationMs) * durationMs);
  const secondsLeft = (windowStart: Date, now: Date) => Math.max(1, Math.ceil((windowStart.getTime() + durationMs - now.getTime()) / 1000));
  const refuse = (what: string, windowStart: Date, now: Date) => {
    const seconds = secondsLeft(windowStart, now);
    return new TooManyRequestsError(`Too many ${what}: at most ${options.points} per ${options.durationSeconds} s. Try again in ${seconds} s.`, seconds, {
      limit: options.points,
      remaining: 0,
      resetSeconds: seconds,
    });
  };

  async function increment(subject: string, now: Date): Promise<{ count: number; windowStart: Date }> {
    const prisma = await getPrisma();
    const windowStart = windowOf(now);
    const expiresAt = new Date(windowStart.getTime() + durationMs);
    const [row] = await prisma.$queryRaw<{ count: number; windowStart: Date }[]>`
      INSERT INTO rate_limit_counters (key, "windowStart", count, "expiresAt")
      VALUES (${`${options.name}:${subject}`}, ${windowStart}, 1, ${expiresAt})
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN EXCLUDED."windowStart" > rate_limit_counters."windowStart" THEN 1 ELSE rate_limit_counters.count + 1 END,
        "windowStart" = GREATEST(EXCLUDED."windowStart", rate_limit_counters."windowStart"),
        "expiresAt" = GREATEST(EXCLUDED."expiresAt", rate_limit_counters."expiresAt")
      RETURNING count, "windowStart"`;
    return row;
  }

  return {
    async take(subject, what, now) {
      const { count, windowStart } = await increment(subject, now);
      if (count > options.points) throw refuse(what, windowStart, now);
      return { limit: options.points, remaining: options.points - count, resetSeconds: secondsLeft(windowStart, now) };
    },
    async record(subject, now) {
      await increment(subject, now);
    },
    async reset(subject) {
      const prisma = await getPrisma();
      await prisma.$executeRaw`DELETE FROM rate_limit_counters WHERE key = ${`${options.name}:${subject}`}`;
    },
    async check(subject, what, now) {
      const prisma = await getPrisma();
      const [row] = await prisma.$queryRaw<{ count: number; windowStart: Date }[]>`
        SELECT count, "windowStart" FROM rate_limit_counters
        WHERE key = ${`${options.name}:${subject}`} AND "windowStart" >= ${windowOf(now)}`;
      if (row && row.count >= options.points) throw refuse(what, row.windowStart, now);
    },
  };
}

/** Deletes counters whose window has ended (the cron's retention step), in bounded batches. */
export async function purgeRateLimitCounters(now: Date, batch = 10_000): Promise<number> {
  const prisma = await getPrisma();
  let total = 0;
  for (let n = batch; n === batch; total += n) {
    n = await prisma.$executeRaw`
      DELETE FROM rate_limit_counters WHERE key IN (SELECT key FROM rate_limit_counters WHERE "expiresAt" < ${now} LIMIT ${batch})`;
  }
  return total;
}
