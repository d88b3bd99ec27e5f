/**
 * The configured key format (README, "Your own key format"): a company that
 * already has keys keeps its own shape. Read from the environment once and
 * validated, so a bad setting stops rekey at start with the variable's name
 * rather than minting keys nobody can verify.
 *
 * - REKEY_KEY_PREFIX_LIVE, REKEY_KEY_PREFIX_TEST: 1–32 of [A-Za-z0-9_-];
 *   different, neither the start of the other (a key's prefix tells its
 *   environment), and never `rkm_`, which management tokens start with.
 * - REKEY_KEY_RANDOM_BYTES: 16–64 (at least 128 bits); rekey's own format
 *   has 32 (DOMAIN.md), the default.
 * - REKEY_KEY_CHECKSUM: `crc32` (rekey's; noise is refused without a lookup)
 *   or `none` (shape only: for a format that never had one).
 */
import { z } from "zod";
import { DEFAULT_KEY_FORMAT, type KeyFormat } from "../../packages/verifier/src/format";

export type { KeyFormat } from "../../packages/verifier/src/format";

/** What management tokens start with: no API key prefix may start so. */
export const MANAGEMENT_TOKEN_HEAD = "rkm_";

const prefixSchema = z
  .string()
  .min(1, "must not be empty")
  .max(32, "must be at most 32 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "may hold only letters, digits, _ and -")
  .refine((p) => !p.startsWith(MANAGEMENT_TOKEN_HEAD), `must not start with ${MANAGEMENT_TOKEN_HEAD}, which management tokens start with`);

const keyFormatEnvSchema = z
  .object({
    REKEY_KEY_PREFIX_LIVE: prefixSchema.default(DEFAULT_KEY_FORMAT.prefixes.live),
    REKEY_KEY_PREFIX_TEST: prefixSchema.default(DEFAULT_KEY_FORMAT.prefixes.test),
    REKEY_KEY_RANDOM_BYTES: z.coerce
      .number()
      .int("must be a whole number")
      .min(16, "must be at least 16 (128 bits)")
      .max(64, "must be at most 64")
      .default(DEFAULT_KEY_FORMAT.randomBytes),
    REKEY_KEY_CHECKSUM: z.enum(["crc32", "none"], { error: 'must be "crc32" or "none"' }).default(DEFAULT_KEY_FORMAT.checksum),
  })
  .superRefine((env, ctx) => {
    const { REKEY_KEY_PREFIX_LIVE: live, REKEY_KEY_PREFIX_TEST: test } = env;
    if (live === test) ctx.addIssue({ code: "custom", path: ["REKEY_KEY_PREFIX_TEST"], message: "must differ from REKEY_KEY_PREFIX_LIVE" });
    else if (live.startsWith(test) || test.startsWith(live))
      ctx.addIssue({ code: "custom", path: ["REKEY_KEY_PREFIX_TEST"], message: "and REKEY_KEY_PREFIX_LIVE must not be the start of one another (a key's prefix tells its environment)" });
  });

/**
 * The key format the environment sets (rekey's own where nothing is set);
 * throws an Error naming each variable that is wrong, and why.
 */
export function keyFormatFromEnv(env: Record<string, string | undefined> = process.env): KeyFormat {
  const names = ["REKEY_KEY_PREFIX_LIVE", "REKEY_KEY_PREFIX_TEST", "REKEY_KEY_RANDOM_BYTES", "REKEY_KEY_CHECKSUM"] as const;
  // An empty variable is an unset one, as elsewhere in rekey's configuration.
  const given = Object.fromEntries(names.map((name) => [name, env[name] === "" ? undefined : env[name]]));
  const parsed = keyFormatEnvSchema.safeParse(given);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "key format");
      const got = name in given && given[name] !== undefined ? ` (got "${given[name]}")` : "";
      return `${name} ${issue.message}${got}`;
    });
    throw new Error(`Invalid key format configuration: ${problems.join("; ")}.`);
  }
  const v = parsed.data;
  return {
    prefixes: { live: v.REKEY_KEY_PREFIX_LIVE, test: v.REKEY_KEY_PREFIX_TEST },
    randomBytes: v.REKEY_KEY_RANDOM_BYTES,
    checksum: v.REKEY_KEY_CHECKSUM,
  };
}
