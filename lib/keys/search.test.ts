import { afterEach, describe, expect, it } from "vitest";
import { escapeLike, readKeySearch, searchForUrl } from "./search";
import { generateApiKey, generateManagementToken, setKeyFormatForTests } from "./format";

describe("reading a key search", () => {
  it("reads text that starts like a key as a prefix, cut to a stored prefix's length", () => {
    const { secret, prefix } = generateApiKey("live");
    expect(readKeySearch(`  ${secret} `)).toEqual({ kind: "prefix", prefix });
    expect(readKeySearch("rk_test_9Vq")).toEqual({ kind: "prefix", prefix: "rk_test_9Vq" });
    // A management token is never put in a URL either.
    const token = generateManagementToken();
    expect(searchForUrl(readKeySearch(token.secret))).toBe(token.prefix);
  });

  it("reads anything else as a name, and nothing as no search", () => {
    expect(readKeySearch("Initech")).toEqual({ kind: "text", text: "Initech" });
    expect(readKeySearch("   ")).toBeNull();
    expect(readKeySearch(undefined)).toBeNull();
    expect(searchForUrl(null)).toBeUndefined();
  });

  it("escapes LIKE's wildcards", () => {
    expect(escapeLike("50%_off\\")).toBe("50\\%\\_off\\\\");
  });
});

describe("reading a key search in the company's own key format", () => {
  afterEach(() => setKeyFormatForTests());

  it("cuts a pasted key of the configured format to its display prefix, so it never reaches a URL", () => {
    setKeyFormatForTests({ prefixes: { live: "sk-", test: "sk_test-" }, randomBytes: 16, checksum: "none" });
    const { secret, prefix } = generateApiKey("test");
    expect(searchForUrl(readKeySearch(secret))).toBe(prefix);
  });
});
