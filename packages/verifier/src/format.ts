/**
 * The key format of DOMAIN.md, `rk_<env>_<random><checksum>`: 43 base62
 * characters of randomness (32 bytes) and a 6-character base62 CRC32 of
 * everything before it, so a key can be told from noise without any lookup.
 */
import { crc32 } from "node:zlib";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const RANDOM_CHARS = 43; // ceil(256 / log2(62))
export const CHECKSUM_CHARS = 6; // ceil(32 / log2(62))
export const PREFIX_RANDOM_CHARS = 8;

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

const API_KEY_PATTERN = /^rk_(live|test)_([0-9A-Za-z]{49})$/;

/** True when `candidate` has the shape and checksum of an API key: checked before any lookup. */
export function isWellFormedApiKey(candidate: string): boolean {
  const match = API_KEY_PATTERN.exec(candidate);
  if (!match) return false;
  const rest = match[2];
  return rest.slice(RANDOM_CHARS) === checksum(`rk_${match[1]}_${rest.slice(0, RANDOM_CHARS)}`);
}
