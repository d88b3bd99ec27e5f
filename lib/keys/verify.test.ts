import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { T0, makeKey, makeOrg } from "../../tests/support/fixtures";
import { verifyKey } from "./verify";
import { generateApiKey } from "./format";

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
