import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "./support/fixtures";
import { createRotation, rollbackRotation, cancelRotation } from "../lib/rotations/mutations";
import { advanceRotations } from "../lib/rotations/advance";
import { revokeKey } from "../lib/keys/mutations";
import { verifyKey } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { createManagementToken } from "../lib/auth/management-tokens";
import { recordCurrentHashVersion } from "../lib/keys/hash-versions";
import { getHashingSecrets } from "../lib/secret";

useTestDatabase();

// DOMAIN.md: a full key exists only in the response that creates or reveals it.
describe("secrets at rest", () => {
  it("no full key or token appears in any column of any table after every kind of operation", async () => {
    const secrets: string[] = [];
    const org = await makeOrg("Secretive");
    for (let i = 0; i < 3; i++) {
      const { key, secret } = await makeKey(org.id);
      secrets.push(secret);
      await verifyKey(secret, at(i));
      const r1 = await createRotation(
        { keyId: key.id, kind: "manual", deliver: "response", reason: `rotation of ${key.prefix}` },
        { actor: ADMIN, now: at(hours(1)) },
      );
      secrets.push(r1.successorSecret!);
      await verifyKey(secret, at(hours(2)));
      await verifyKey(r1.successorSecret!, at(hours(2)));
      if (i === 0) await rollbackRotation({ rotationId: r1.rotation.id, reason: "rollback" }, { actor: ADMIN, now: at(hours(3)) });
    }
    const { key: k2, secret: s2 } = await makeKey(org.id);
    secrets.push(s2);
    const scheduled = await createRotation({ keyId: k2.id, kind: "scheduled", scheduledAt: at(hours(10)), deliver: "response" }, { actor: ADMIN, now: T0 });
    secrets.push(scheduled.successorSecret!);
    await cancelRotation({ rotationId: scheduled.rotation.id }, { actor: ADMIN, now: at(hours(1)) });
    const { key: k3, secret: s3 } = await makeKey(org.id);
    secrets.push(s3);
    await createRotation({ keyId: k3.id, kind: "emergency", gracePeriodHours: 0, reason: "leak" }, { actor: ADMIN, now: T0 });
    await verifyKey(s3, at(5));
    const { key: k4, secret: s4 } = await makeKey(org.id);
    secrets.push(s4);
    await revokeKey({ keyId: k4.id, reason: "customer left" }, { actor: ADMIN, now: T0 });
    secrets.push((await createManagementToken("automation", { actor: ADMIN, now: T0 })).secret);
    await advanceRotations(at(hours(200)));
    await flushUsage();
    await recordCurrentHashVersion(T0);
    // The hashing secrets are never written to the database either (hash_versions and its audit event hold numbers only).
    const serverSecrets = getHashingSecrets().secrets.map((s) => s.secret);

    const prisma = await testPrisma();
    const tables = await prisma.$queryRaw<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    expect(tables.length).toBeGreaterThanOrEqual(12);
    let rowsScanned = 0;
    for (const { table_name } of tables) {
      const rows = await prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${table_name}" t`);
      rowsScanned += rows.length;
      for (const { row } of rows) {
        expect(row, `${table_name} holds something shaped like a key`).not.toMatch(/rkm?_(live|test|mgmt)_[0-9A-Za-z]{49}/);
        for (const secret of secrets) {
          // Not even the random part without its checksum.
          expect(row.includes(secret.slice(8, 40)), `${table_name} holds part of a key`).toBe(false);
        }
        for (const secret of serverSecrets) expect(row.includes(secret), `${table_name} holds a server secret`).toBe(false);
      }
    }
    expect(rowsScanned).toBeGreaterThan(50);
  });
});
