import { describe, expect, it } from "vitest";
import pg from "pg";
import { useTestDatabase, testPrisma, testDatabaseKind } from "./support/database";
import { T0, makeKey, makeOrg } from "./support/fixtures";
import { verifyKey, verifyListenerState } from "../lib/keys/verify";

useTestDatabase();

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, limitMs: number): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  for (;;) {
    let value: T | undefined;
    try {
      value = await probe();
    } catch {
      // The pool's connections were cut too: the next attempt gets a fresh one.
    }
    if (value !== undefined && done(value)) return { value, ms: Date.now() - start };
    if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The LISTEN connection that spreads revocations between instances only
// exists on a PostgreSQL server (PGlite notifies in process).
describe.skipIf(testDatabaseKind !== "postgres")("the invalidation listener after a database outage", () => {
  it("reconnects after 5 s without the database, and a revocation made elsewhere is refused within a second", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const other = await makeKey(org.id);
    expect(await verifyKey(secret, T0)).toMatchObject({ valid: true });
    expect(await verifyKey(other.secret, T0)).toMatchObject({ valid: true }); // both cached now
    expect(verifyListenerState()).toEqual({ up: true, reconnects: 0, starting: false });

    const prisma = await testPrisma();
    const [{ name }] = await prisma.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      // The outage: no new connections, every existing one cut.
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
      await until(
        async () => verifyListenerState(),
        (s) => !s.starting && !s.up,
        2_000,
      );
      await new Promise((r) => setTimeout(r, 5_000));
      expect(verifyListenerState()).toMatchObject({ up: false });
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    }

    // Right after the database is back, another instance revokes a key this one has cached.
    const writer = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL!.replace(/\/[^/]*$/, `/${name}`) });
    await writer.connect();
    await writer.query(`UPDATE api_keys SET status = 'revoked', "revokedAt" = $2 WHERE id = $1`, [key.id, T0]);
    await writer.end();
    const refused = await until(
      () => verifyKey(secret, T0),
      (a) => !a.valid,
      5_000,
    );
    console.log(`revocation refused ${refused.ms} ms after the write, right after a 5 s outage`);
    expect(refused.value).toEqual({ valid: false, code: "revoked" });
    expect(refused.ms).toBeLessThan(1_000);

    const back = await until(
      async () => verifyListenerState(),
      (s) => !s.starting && s.up,
      2_000,
    );
    expect(back.value).toMatchObject({ up: true, reconnects: 1 });
    // And the listener carries notifications again: a second revocation arrives through it.
    await prisma.$executeRaw`UPDATE api_keys SET status = 'revoked', "revokedAt" = ${T0} WHERE id = ${other.key.id}`;
    const second = await until(
      () => verifyKey(other.secret, T0),
      (a) => !a.valid,
      3_000,
    );
    expect(second.ms).toBeLessThan(1_000);
    await admin.end();
  });
});
