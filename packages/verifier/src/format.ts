/**
 * The key format. rekey's own (DOMAIN.md) is `rk_<env>_<random><checksum>`:
 * 43 base62 characters of randomness (32 bytes) and a 6-character base62
 * CRC32 of everything before it, so a key can be told from noise without any
 * lookup. A company adopting rekey may configure its own (README, "Your own
 * key format"): a prefix per environment, the random length, and the
 * checksum (rekey's CRC32 or none).
 */
import { crc32 } from "node:zlib";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const RANDOM_CHARS = 43; // ceil(256 / log2(62))
export const CHECKSUM_CHARS = 6; // ceil(32 / log2(62))
export const PREFIX_RANDOM_CHARS = 8;

export type KeyChecksum = "crc32" | "none";

/** A key format: what a key of each environment starts with, how much randomness follows, and its checksum. */
export interface KeyFormat {
  prefixes: { live: string; test: string };
  /** Random bytes in a key, written in base62 (randomChars). */
  randomBytes: number;
  checksum: KeyChecksum;
}

/** rekey's own format: `rk_live_`/`rk_test_`, 32 random bytes, CRC32. */
export const DEFAULT_KEY_FORMAT: KeyFormat = Object.freeze({
  prefixes: Object.freeze({ live: "rk_live_", test: "rk_test_" }),
  randomBytes: 32,
  checksum: "crc32",
});

/** What management tokens start with (rkm_mgmt_…): no API key prefix may start so. */
export const MANAGEMENT_TOKEN_HEAD = "rkm_";

/** A field of a key format and what is wrong with it. */
export interface KeyFormatProblem {
  field: "prefixes.live" | "prefixes.test" | "randomBytes" | "checksum";
  message: string;
}

/**
 * What is wrong with a key format, in the words rekey's configuration and
 * the in-process verifier both report (empty when it is usable): prefixes of
 * 1–32 of [A-Za-z0-9_-], different, neither the start of the other (a key's
 * prefix tells its environment), never `rkm_`; 16–64 random bytes (at least
 * 128 bits); checksum `crc32` or `none`. `liveNamed`: what a message calls
 * the live prefix when it names it (rekey's configuration: its variable).
 */
export function keyFormatProblems(format: KeyFormat, names: { liveNamed?: string } = {}): KeyFormatProblem[] {
  const liveName = names.liveNamed ?? "the live prefix";
  const problems: KeyFormatProblem[] = [];
  for (const env of ["live", "test"] as const) {
    const p: unknown = format.prefixes?.[env];
    const field = `prefixes.${env}` as const;
    if (typeof p !== "string" || p.length === 0) problems.push({ field, message: "must not be empty" });
    else if (p.length > 32) problems.push({ field, message: "must be at most 32 characters" });
    else if (!/^[A-Za-z0-9_-]+$/.test(p)) problems.push({ field, message: "may hold only letters, digits, _ and -" });
    else if (p.startsWith(MANAGEMENT_TOKEN_HEAD))
      problems.push({ field, message: `must not start with ${MANAGEMENT_TOKEN_HEAD}, which management tokens start with` });
  }
  const { live, test } = format.prefixes ?? {};
  if (problems.length === 0) {
    if (live === test) problems.push({ field: "prefixes.test", message: `must differ from ${liveName}` });
    else if (live.startsWith(test) || test.startsWith(live))
      problems.push({ field: "prefixes.test", message: `and ${liveName} must not be the start of one another (a key's prefix tells its environment)` });
  }
  const bytes: unknown = format.randomBytes;
  if (typeof bytes !== "number" || !Number.isInteger(bytes)) problems.push({ field: "randomBytes", message: "must be a whole number" });
  else if (bytes < 16) problems.push({ field: "randomBytes", message: "must be at least 16 (128 bits)" });
  else if (bytes > 64) problems.push({ field: "randomBytes", message: "must be at most 64" });
  if (format.checksum !== "crc32" && format.checksum !== "none") problems.push({ field: "checksum", message: 'must be "crc32" or "none"' });
  return problems;
}

/** Base62 characters that hold `bytes` random bytes: ceil(8·bytes / log2 62). */
export function randomCharsFor(bytes: number): number {
  return Math.ceil((8 * bytes) / Math.log2(62));
}

/** `value` in base62, left-padded with zeros to `width`. */
export function toBase62(value: bigint, width: number): string {
  let out = "";
  while (value > 0n) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(width, "0");
}

/** The checksum that ends a key or token: CRC32 of `body` in base62 (on every verification, so in plain numbers, not BigInt). */
export function checksum(body: string): string {
  let value = crc32(body);
  let out = "";
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** Base62 characters only, from `from` to the end. */
function isBase62From(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false;
  }
  return true;
}

/** Reads a presented key: its environment and where its random part ends, or null when it is not of the format. */
export type KeyShapeReader = (candidate: string) => { environment: "live" | "test"; randomEnd: number } | null;

/**
 * A reader for `format`, with its lengths worked out once: a key is
 * recognised by its prefix, its exact length, the base62 alphabet and, when
 * the format has one, its checksum. No regex or BigInt per call.
 */
export function keyShapeReader(format: KeyFormat): KeyShapeReader {
  const randomChars = randomCharsFor(format.randomBytes);
  const tail = randomChars + (format.checksum === "crc32" ? CHECKSUM_CHARS : 0);
  const heads = (["live", "test"] as const).map((environment) => {
    const prefix = format.prefixes[environment];
    return { environment, prefix, length: prefix.length + tail, randomEnd: prefix.length + randomChars };
  });
  const withChecksum = format.checksum === "crc32";
  return (candidate) => {
    for (const head of heads) {
      if (candidate.length !== head.length || !candidate.startsWith(head.prefix)) continue;
      if (!isBase62From(candidate, head.prefix.length)) return null;
      if (withChecksum && candidate.slice(head.randomEnd) !== checksum(candidate.slice(0, head.randomEnd))) return null;
      return { environment: head.environment, randomEnd: head.randomEnd };
    }
    return null;
  };
}

/** A check for `format`: true when a candidate has its shape and checksum (before any lookup). */
export function wellFormedApiKeyCheck(format: KeyFormat): (candidate: string) => boolean {
  const read = keyShapeReader(format);
  return (candidate) => read(candidate) !== null;
}

const defaultCheck = wellFormedApiKeyCheck(DEFAULT_KEY_FORMAT);

/** True when `candidate` has the shape and checksum of an API key in rekey's own format: checked before any lookup. */
export function isWellFormedApiKey(candidate: string): boolean {
  return defaultCheck(candidate);
}

/**
 * The regular expression to register with a secret scanner (GitHub's custom
 * patterns) for keys of `format`, e.g. `rk_(live|test)_[0-9A-Za-z]{49}` for
 * rekey's own. Prefixes hold only [A-Za-z0-9_-], which need no escaping.
 */
export function secretScanningPattern(format: KeyFormat): string {
  const { live, test } = format.prefixes;
  let start = 0;
  while (start < live.length && start < test.length && live[start] === test[start]) start++;
  let end = 0;
  while (end < live.length - start && end < test.length - start && live[live.length - 1 - end] === test[test.length - 1 - end]) end++;
  const middles = [live.slice(start, live.length - end), test.slice(start, test.length - end)];
  const nonEmpty = middles.filter(Boolean);
  const alternation = nonEmpty.length === 2 ? `(${nonEmpty.join("|")})` : `(${nonEmpty[0]})?`;
  const tail = randomCharsFor(format.randomBytes) + (format.checksum === "crc32" ? CHECKSUM_CHARS : 0);
  return `${live.slice(0, start)}${alternation}${live.slice(live.length - end)}[0-9A-Za-z]{${tail}}`;
}
