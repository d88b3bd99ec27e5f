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
import { DEFAULT_KEY_FORMAT, keyFormatProblems, MANAGEMENT_TOKEN_HEAD, type KeyFormat, type KeyFormatProblem } from "../../packages/verifier/src/format";
import { env, type Environment } from "../env";

export type { KeyFormat } from "../../packages/verifier/src/format";
export { MANAGEMENT_TOKEN_HEAD };

/** The variables as strings (an unset one takes rekey's default); the rules are the verifier package's keyFormatProblems. */
const keyFormatEnvSchema = z.object({
  REKEY_KEY_PREFIX_LIVE: z.string().default(DEFAULT_KEY_FORMAT.prefixes.live),
  REKEY_KEY_PREFIX_TEST: z.string().default(DEFAULT_KEY_FORMAT.prefixes.test),
  REKEY_KEY_RANDOM_BYTES: z.coerce.number("must be a whole number").default(DEFAULT_KEY_FORMAT.randomBytes),
  REKEY_KEY_CHECKSUM: z.string().default(DEFAULT_KEY_FORMAT.checksum),
});

const VARIABLE: Record<KeyFormatProblem["field"], string> = {
  "prefixes.live": "REKEY_KEY_PREFIX_LIVE",
  "prefixes.test": "REKEY_KEY_PREFIX_TEST",
  randomBytes: "REKEY_KEY_RANDOM_BYTES",
  checksum: "REKEY_KEY_CHECKSUM",
};

/**
 * The key format the environment sets (rekey's own where nothing is set);
 * throws an Error naming each variable that is wrong, and why.
 */
export function keyFormatFromEnv(source: Environment = process.env): KeyFormat {
  const names = ["REKEY_KEY_PREFIX_LIVE", "REKEY_KEY_PREFIX_TEST", "REKEY_KEY_RANDOM_BYTES", "REKEY_KEY_CHECKSUM"] as const;
  // As lib/env.ts declares them (an empty variable is an unset one); the rules are checked here, as one format.
  const given: Record<string, string | undefined> = Object.fromEntries(names.map((name) => [name, env(name, source)]));
  const parsed = keyFormatEnvSchema.safeParse(given);
  const v = parsed.data;
  const format: KeyFormat | undefined = v && {
    prefixes: { live: v.REKEY_KEY_PREFIX_LIVE, test: v.REKEY_KEY_PREFIX_TEST },
    randomBytes: v.REKEY_KEY_RANDOM_BYTES,
    checksum: v.REKEY_KEY_CHECKSUM as KeyFormat["checksum"],
  };
  const problems = format
    ? keyFormatProblems(format, { liveNamed: VARIABLE["prefixes.live"] }).map((p) => ({ name: VARIABLE[p.field], message: p.message }))
    : parsed.error!.issues.map((issue) => ({ name: String(issue.path[0] ?? "key format"), message: issue.message }));
  if (problems.length > 0 || !format) {
    const said = problems.map(({ name, message }) => `${name} ${message}${given[name] !== undefined ? ` (got "${given[name]}")` : ""}`);
    throw new Error(`Invalid key format configuration: ${said.join("; ")}.`);
  }
  return format;
}
