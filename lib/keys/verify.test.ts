import { afterEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { T0, makeKey, makeOrg } from "../../tests/support/fixtures";
import { verifyKey } from "./verify";
import { generateApiKey, setKeyFormatForTests } from "./format";
import type { KeyFormat } from "./key-format";

useTestDatabase();

describe("verification cache", () => {
  it("drops a cached answer when the key changes behind this process's back, through NOTIFY", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    expect(await verifyKey(secret, T0)).toMatchObject({ valid: true });
    expect(await verifyKey(secret, T0)).toMatchObject({ valid: true }); // now cached
    // Another instance's write: not through this process's inTransaction, so only the trigger's NOTIFY can tell us.
    const prisma = await testPrisma();
    await prisma.$executeRaw`UPDATE api_keys SET status = 'revoked', "revokedAt" = ${T0} WHERE id = ${key.id}`;
    const start = Date.now();
    let answer = await verifyKey(secret, T0);
    while (answer.valid && Date.now() - start < 3_000) {
      await new Promise((r) => setTimeout(r, 10));
      answer = await verifyKey(secret, T0);
    }
    expect(answer).toEqual({ valid: false, code: "revoked" });
    expect(Date.now() - start).toBeLessThan(1_000);
  });

  it("answers unknown for a well-formed key that was never issued, and then knows a newly issued one", async () => {
    expect(await verifyKey(generateApiKey("test").secret, T0)).toEqual({ valid: false, code: "unknown" });
    const org = await makeOrg();
    const { secret } = await makeKey(org.id, { environment: "test" });
    expect(await verifyKey(secret, T0)).toMatchObject({ valid: true, environment: "test" });
  });

  it("answers expired for a key past its expiry", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const prisma = await testPrisma();
    await prisma.apiKey.update({ where: { id: key.id }, data: { expiresAt: new Date(T0.getTime() + 1000) } });
    expect(await verifyKey(secret, new Date(T0.getTime() + 500))).toMatchObject({ valid: true });
    expect(await verifyKey(secret, new Date(T0.getTime() + 2000))).toEqual({ valid: false, code: "expired" });
  });
});

describe("verification in the company's own key format", () => {
  afterEach(() => setKeyFormatForTests());

  for (const format of [
    { prefixes: { live: "acme_live_", test: "acme_test_" }, randomBytes: 24, checksum: "crc32" },
    { prefixes: { live: "sk-", test: "sk_test-" }, randomBytes: 16, checksum: "none" },
  ] satisfies KeyFormat[]) {
    it(`verifies an issued ${format.prefixes.live}… key (${format.checksum}) and refuses noise`, async () => {
      setKeyFormatForTests(format);
      const org = await makeOrg();
      const { key, secret } = await makeKey(org.id);
      expect(key.prefix).toBe(secret.slice(0, format.prefixes.live.length + 8));
      expect(await verifyKey(secret, T0)).toMatchObject({ valid: true, environment: "live" });
      const last = secret.at(-1)!;
      const otherLast = secret.slice(0, -1) + (last === "a" ? "b" : "a");
      // Without a checksum, a changed character is still of the format: only the lookup refuses it.
      expect(await verifyKey(otherLast, T0)).toEqual({ valid: false, code: format.checksum === "crc32" ? "malformed" : "unknown" });
      for (const noise of [`${secret}a`, secret.slice(0, -1), `rk_live_${secret.slice(format.prefixes.live.length)}`, `zz${secret}`]) {
        expect(await verifyKey(noise, T0)).toEqual({ valid: false, code: "malformed" });
      }
      // rekey's own format is not accepted once another is configured.
      setKeyFormatForTests();
      const ownFormat = generateApiKey("live").secret;
      setKeyFormatForTests(format);
      expect(await verifyKey(ownFormat, T0)).toEqual({ valid: false, code: "malformed" });
    });
  }
});
