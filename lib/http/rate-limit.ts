import "server-only";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { TooManyRequestsError } from "../errors";

/**
 * Request limits of one instance (rate-limiter-flexible, in memory): they
 * stop a runaway client or a guessing loop, not a distributed attack, which
 * the API company's edge handles. Several instances each allow the limit.
 */
export function createRateLimit(options: { name: string; points: number; durationSeconds: number }) {
  const limiter = new RateLimiterMemory({ keyPrefix: options.name, points: options.points, duration: options.durationSeconds });
  return async function take(key: string, what: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw outcome;
      const seconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
      throw new TooManyRequestsError(`Too many ${what}: at most ${options.points} per ${options.durationSeconds} s. Try again in ${seconds} s.`, seconds);
    }
  };
}

/** The caller's address as the nearest proxy saw it, for per-address limits. */
export function clientAddress(request: Request): string {
  return request.headers.get("x-forwarded-for")?.split(",")[0]?.trim() || request.headers.get("x-real-ip") || "direct";
}
