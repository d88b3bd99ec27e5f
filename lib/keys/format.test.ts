import { describe, expect, it } from "vitest";
import { generateApiKey, generateManagementToken, parseSecret } from "./format";

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
    for (const noise of ["", "rk_live_", "sk_live_abc", "rk_prod_" + "a".repeat(49), generateApiKey("live").secret + "x", "rk_mgmt_" + "a".repeat(49)]) {
      expect(parseSecret(noise)).toBeNull();
    }
  });

  it("tells management tokens from API keys", () => {
    const token = generateManagementToken();
    expect(token.secret).toMatch(/^rkm_mgmt_/);
    expect(parseSecret(token.secret)?.kind).toBe("rkm");
  });
});
