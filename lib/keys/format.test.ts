import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configuredSecretScanningPattern, generateApiKey, generateManagementToken, isWellFormedKey, parseSecret, setKeyFormatForTests } from "./format";
import { keyFormatFromEnv, type KeyFormat } from "./key-format";
import { DEFAULT_KEY_FORMAT, secretScanningPattern } from "../../packages/verifier/src/format";

describe("key format", () => {
  it("makes rk_<env>_<random><checksum> keys with 43 random and 6 checksum characters", () => {
    const { secret, prefix } = generateApiKey("live");
    expect(secret).toMatch(/^rk_live_[0-9A-Za-z]{49}$/);
    expect(prefix).toBe(secret.slice(0, "rk_live_".length + 8));
    expect(parseSecret(secret)).toEqual({ kind: "rk", environment: "live", prefix });
    expect(generateApiKey("test").secret.startsWith("rk_test_")).toBe(true);
  });

  it("never repeats a key", () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateApiKey("live").secret));
    expect(seen.size).toBe(2000);
  });

  it("rejects a key whose checksum does not match, without a database", () => {
    const { secret } = generateApiKey("live");
    const last = secret.at(-1)!;
    const tampered = secret.slice(0, -1) + (last === "a" ? "b" : "a");
    expect(parseSecret(tampered)).toBeNull();
    const flippedBody = secret.slice(0, 10) + (secret[10] === "x" ? "y" : "x") + secret.slice(11);
    expect(parseSecret(flippedBody)).toBeNull();
  });

  it("rejects noise and wrong shapes", () => {
    for (const noise of ["", "rk_live_", "sk_live_abc", `rk_prod_${"a".repeat(49)}`, `${generateApiKey("live").secret}x`, `rk_mgmt_${"a".repeat(49)}`]) {
      expect(parseSecret(noise)).toBeNull();
    }
  });

  it("tells management tokens from API keys", () => {
    const token = generateManagementToken();
    expect(token.secret).toMatch(/^rkm_mgmt_/);
    expect(parseSecret(token.secret)?.kind).toBe("rkm");
  });
});

describe("the company's own key format", () => {
  afterEach(() => setKeyFormatForTests());

  const acme: KeyFormat = { prefixes: { live: "acme_live_", test: "acme_test_" }, randomBytes: 24, checksum: "crc32" };
  const plain: KeyFormat = { prefixes: { live: "sk-", test: "sk_test-" }, randomBytes: 16, checksum: "none" };

  it("is rekey's own format when nothing is configured", () => {
    expect(keyFormatFromEnv({})).toEqual(DEFAULT_KEY_FORMAT);
    expect(keyFormatFromEnv({ REKEY_KEY_PREFIX_LIVE: "", REKEY_KEY_CHECKSUM: "" })).toEqual(DEFAULT_KEY_FORMAT);
    setKeyFormatForTests(keyFormatFromEnv({}));
    expect(generateApiKey("live").secret).toMatch(/^rk_live_[0-9A-Za-z]{49}$/);
  });

  it("mints, parses and refuses noise with a custom prefix and a checksum", () => {
    setKeyFormatForTests(acme);
    const { secret, prefix } = generateApiKey("live");
    // 24 bytes: ceil(192 / log2 62) = 33 random characters, then the 6 of the checksum.
    expect(secret).toMatch(/^acme_live_[0-9A-Za-z]{39}$/);
    expect(prefix).toBe(secret.slice(0, "acme_live_".length + 8));
    expect(parseSecret(secret)).toEqual({ kind: "rk", environment: "live", prefix });
    expect(isWellFormedKey(secret)).toBe(true);
    expect(parseSecret(generateApiKey("test").secret)?.environment).toBe("test");
    const last = secret.at(-1)!;
    for (const noise of [
      secret.slice(0, -1) + (last === "a" ? "b" : "a"), // wrong checksum
      `${secret}a`, // too long
      secret.slice(0, -1), // too short
      `acme_prod_${secret.slice("acme_live_".length)}`, // another prefix
      `rk_live_${secret.slice("acme_live_".length)}`,
      `${secret.slice(0, 12)}-${secret.slice(13)}`, // not base62
    ]) {
      expect(parseSecret(noise)).toBeNull();
      expect(isWellFormedKey(noise)).toBe(false);
    }
    // Management tokens keep their own format whatever the key format.
    expect(parseSecret(generateManagementToken().secret)?.kind).toBe("rkm");
  });

  it("mints and parses a custom prefix without a checksum, refusing by shape alone", () => {
    setKeyFormatForTests(plain);
    const { secret, prefix } = generateApiKey("live");
    expect(secret).toMatch(/^sk-[0-9A-Za-z]{22}$/); // 16 bytes: 22 characters, no checksum
    expect(parseSecret(secret)).toEqual({ kind: "rk", environment: "live", prefix });
    expect(generateApiKey("test").secret).toMatch(/^sk_test-[0-9A-Za-z]{22}$/);
    for (const noise of [
      `${secret}a`,
      secret.slice(0, -1),
      `pk-${secret.slice(3)}`,
      `${secret.slice(0, -1)}_`,
      generateApiKey("live").secret.replace("sk-", "rk_live_"),
    ]) {
      expect(parseSecret(noise)).toBeNull();
    }
    // Without a checksum any base62 of the right length is of the format: only the lookup tells.
    expect(parseSecret(`sk-${"a".repeat(22)}`)).not.toBeNull();
  });

  it("refuses bad configuration with a message naming the variable", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ REKEY_KEY_PREFIX_LIVE: "acme live" }, /REKEY_KEY_PREFIX_LIVE may hold only/],
      [{ REKEY_KEY_PREFIX_TEST: "x".repeat(33) }, /REKEY_KEY_PREFIX_TEST must be at most 32/],
      [{ REKEY_KEY_PREFIX_LIVE: "rkm_live_" }, /REKEY_KEY_PREFIX_LIVE must not start with rkm_/],
      [{ REKEY_KEY_PREFIX_LIVE: "sk_", REKEY_KEY_PREFIX_TEST: "sk_" }, /REKEY_KEY_PREFIX_TEST must differ from REKEY_KEY_PREFIX_LIVE/],
      [
        { REKEY_KEY_PREFIX_LIVE: "sk_", REKEY_KEY_PREFIX_TEST: "sk_test_" },
        /REKEY_KEY_PREFIX_TEST and REKEY_KEY_PREFIX_LIVE must not be the start of one another/,
      ],
      [{ REKEY_KEY_RANDOM_BYTES: "15" }, /REKEY_KEY_RANDOM_BYTES must be at least 16/],
      [{ REKEY_KEY_RANDOM_BYTES: "65" }, /REKEY_KEY_RANDOM_BYTES must be at most 64/],
      [{ REKEY_KEY_RANDOM_BYTES: "lots" }, /REKEY_KEY_RANDOM_BYTES/],
      [{ REKEY_KEY_CHECKSUM: "sha1" }, /REKEY_KEY_CHECKSUM must be "crc32" or "none" \(got "sha1"\)/],
    ];
    for (const [env, message] of cases) expect(() => keyFormatFromEnv(env), JSON.stringify(env)).toThrow(message);
    expect(
      keyFormatFromEnv({ REKEY_KEY_PREFIX_LIVE: "acme_", REKEY_KEY_PREFIX_TEST: "acmet_", REKEY_KEY_RANDOM_BYTES: "40", REKEY_KEY_CHECKSUM: "none" }),
    ).toEqual({
      prefixes: { live: "acme_", test: "acmet_" },
      randomBytes: 40,
      checksum: "none",
    });
  });

  it("gives the secret scanning pattern for the format, matching what it mints", () => {
    expect(secretScanningPattern(DEFAULT_KEY_FORMAT)).toBe("rk_(live|test)_[0-9A-Za-z]{49}");
    expect(secretScanningPattern(acme)).toBe("acme_(live|test)_[0-9A-Za-z]{39}");
    expect(secretScanningPattern(plain)).toBe("sk(_test)?-[0-9A-Za-z]{22}");
    for (const format of [DEFAULT_KEY_FORMAT, acme, plain, { prefixes: { live: "live_", test: "test_" }, randomBytes: 64, checksum: "crc32" } as KeyFormat]) {
      setKeyFormatForTests(format);
      const pattern = new RegExp(`^${configuredSecretScanningPattern()}$`);
      expect(pattern.test(generateApiKey("live").secret) && pattern.test(generateApiKey("test").secret)).toBe(true);
    }
  });

  it("shows the default pattern in the README, as the function builds it", () => {
    const readme = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    expect(readme).toContain(`\`${secretScanningPattern(keyFormatFromEnv({}))}\``);
  });
});
