/**
 * Minting and reading keys and tokens. API keys are in the configured format
 * (lib/keys/key-format.ts; rekey's own by default, DOMAIN.md's
 * `rk_<env>_<random><checksum>`: 32 random bytes from node:crypto in base62,
 * then the CRC32 of everything before it in base62, so a scanner can tell a
 * real key from noise without a database, as GitHub's tokens do).
 * Management tokens keep rekey's fixed `rkm_mgmt_` format, whatever the
 * configuration.
 */
import { randomBytes } from "node:crypto";
import {
  checksum,
  keyShapeReader,
  randomCharsFor,
  secretScanningPattern,
  toBase62,
  PREFIX_RANDOM_CHARS,
  RANDOM_CHARS,
  type KeyFormat,
  type KeyShapeReader,
} from "../../packages/verifier/src/format";
import { keyFormatFromEnv } from "./key-format";

const TOKEN_RANDOM_BYTES = 32;

export type KeyEnvironment = "live" | "test";
export type SecretKind = "rk" | "rkm";

const TOKEN_PATTERN = /^rkm_mgmt_([0-9A-Za-z]{49})$/;

export interface GeneratedSecret {
  /** The full secret: shown once, never stored. */
  secret: string;
  /** What is shown and stored instead: the scheme, environment and first random characters. */
  prefix: string;
}

interface ActiveFormat {
  format: KeyFormat;
  randomChars: number;
  read: KeyShapeReader;
}

let active: ActiveFormat | undefined;

function activate(format: KeyFormat): ActiveFormat {
  return { format, randomChars: randomCharsFor(format.randomBytes), read: keyShapeReader(format) };
}

function current(): ActiveFormat {
  return (active ??= activate(keyFormatFromEnv()));
}

/** The key format in force (from the environment, read once); throws, naming the variable, when it is misconfigured. */
export function configuredKeyFormat(): KeyFormat {
  return current().format;
}

/** For tests: put `format` in force, or with none read the environment again on next use. */
export function setKeyFormatForTests(format?: KeyFormat): void {
  active = format ? activate(format) : undefined;
}

/** The regular expression to register with GitHub secret scanning for the configured format. */
export function configuredSecretScanningPattern(): string {
  return secretScanningPattern(configuredKeyFormat());
}

/** `head`, `bytes` random bytes in base62 (`width` characters), and the CRC32 checksum when asked for. */
function mint(head: string, bytes: number, width: number, withChecksum: boolean): GeneratedSecret {
  const random = toBase62(BigInt(`0x${randomBytes(bytes).toString("hex")}`), width);
  const body = head + random;
  return { secret: withChecksum ? body + checksum(body) : body, prefix: head + random.slice(0, PREFIX_RANDOM_CHARS) };
}

/** A new API key for the environment, in the configured format. */
export function generateApiKey(environment: KeyEnvironment): GeneratedSecret {
  const { format, randomChars } = current();
  return mint(format.prefixes[environment], format.randomBytes, randomChars, format.checksum === "crc32");
}

/** A new management API token (always rekey's own `rkm_mgmt_` format). */
export function generateManagementToken(): GeneratedSecret {
  return mint("rkm_mgmt_", TOKEN_RANDOM_BYTES, RANDOM_CHARS, true);
}

/** True when `candidate` has the configured format's shape (and checksum, if it has one): the check before any lookup. */
export function isWellFormedKey(candidate: string): boolean {
  return current().read(candidate) !== null;
}

export interface ParsedSecret {
  kind: SecretKind;
  environment: KeyEnvironment | "mgmt";
  prefix: string;
}

/**
 * Parses a presented secret and checks its checksum; null when it is not one
 * of ours (wrong shape or a checksum that does not match), before any
 * database work.
 */
export function parseSecret(candidate: string): ParsedSecret | null {
  const token = TOKEN_PATTERN.exec(candidate);
  if (token) {
    const random = token[1].slice(0, RANDOM_CHARS);
    const body = `rkm_mgmt_${random}`;
    if (token[1].slice(RANDOM_CHARS) !== checksum(body)) return null;
    return { kind: "rkm", environment: "mgmt", prefix: `rkm_mgmt_${random.slice(0, PREFIX_RANDOM_CHARS)}` };
  }
  const { format, read } = current();
  const key = read(candidate);
  if (!key) return null;
  const head = format.prefixes[key.environment];
  return { kind: "rk", environment: key.environment, prefix: candidate.slice(0, head.length + PREFIX_RANDOM_CHARS) };
}
