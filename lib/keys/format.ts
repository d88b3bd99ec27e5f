/**
 * The key format of DOMAIN.md: `rk_<env>_<random><checksum>`. The random part
 * is 32 bytes from node:crypto in base62 (43 characters); the checksum is the
 * CRC32 of everything before it, in base62 (6 characters), so a scanner can
 * tell a real key from noise without a database, as GitHub's tokens do.
 */
import { randomBytes } from "node:crypto";
import { checksum, toBase62, PREFIX_RANDOM_CHARS, RANDOM_CHARS } from "../../packages/verifier/src/format";

const RANDOM_BYTES = 32;

export type KeyEnvironment = "live" | "test";
export type SecretKind = "rk" | "rkm";

const KEY_PATTERN = /^(rk|rkm)_(live|test|mgmt)_([0-9A-Za-z]{49})$/;

export interface GeneratedSecret {
  /** The full secret: shown once, never stored. */
  secret: string;
  /** What is shown and stored instead: the scheme, environment and first random characters. */
  prefix: string;
}

function generate(head: string): GeneratedSecret {
  const random = toBase62(BigInt("0x" + randomBytes(RANDOM_BYTES).toString("hex")), RANDOM_CHARS);
  const body = head + random;
  return { secret: body + checksum(body), prefix: head + random.slice(0, PREFIX_RANDOM_CHARS) };
}

/** A new API key for the environment. */
export function generateApiKey(environment: KeyEnvironment): GeneratedSecret {
  return generate(`rk_${environment}_`);
}

/** A new management API token. */
export function generateManagementToken(): GeneratedSecret {
  return generate("rkm_mgmt_");
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
  const match = KEY_PATTERN.exec(candidate);
  if (!match) return null;
  const [, kind, environment, rest] = match;
  const random = rest.slice(0, RANDOM_CHARS);
  const body = `${kind}_${environment}_${random}`;
  if (rest.slice(RANDOM_CHARS) !== checksum(body)) return null;
  if ((kind === "rk") === (environment === "mgmt")) return null;
  return {
    kind: kind as SecretKind,
    environment: environment as ParsedSecret["environment"],
    prefix: `${kind}_${environment}_${random.slice(0, PREFIX_RANDOM_CHARS)}`,
  };
}
