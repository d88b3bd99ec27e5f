import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { T0, ADMIN, makeKey, makeOrg } from "./support/fixtures";
import { clearVerifyCache, verifyKey, verifyKeyFromCache } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { reloadSecrets } from "../lib/secret";
import { keyedHash } from "../packages/verifier/src/secrets";
import { countByHashVersion, hashVersionOverview } from "../lib/keys/hash-versions";
import { renderMetrics } from "../lib/metrics";
import { authenticateManagementRequest, createManagementToken } from "../lib/auth/management-tokens";
import { revokeKey } from "../lib/keys/mutations";
import { raiseLingeringHashVersionAlerts, resolveClearedAlerts } from "../lib/alerts/conditions";
import { changesAfter, snapshotLines } from "../lib/keys/changes";
import { selfRotate } from "../lib/rotations/self-rotate";

useTestDatabase();

// The suite's own secret (vitest.config.ts) is the install's version 1.
const V1 = process.env.REKEY_SECRET!;
const V2 = "second-hashing-secret-abcdefghijklmnopqrstuvwxyz012345";
const DAY = 86_400_000;
const saved = { ...process.env };

/** Configures the hashing secrets as an operator would, and has this process read them again. */
function configure(secrets: string | null) {
  delete process.env.REKEY_SECRET;
  delete process.env.REKEY_SECRETS;
  if (secrets === null) process.env.REKEY_SECRET = V1;
  else process.env.REKEY_SECRETS = secrets;
  reloadSecrets();
  clearVerifyCache();
}

// Each test counts rows across the whole database.
beforeEach(() => resetTestData());

afterEach(() => {
  process.env.REKEY_SECRET = saved.REKEY_SECRET;
  delete process.env.REKEY_SECRETS;
  reloadSecrets();
  clearVerifyCache();
});

async function row(keyId: string) {
  const prisma = await testPrisma();
  return prisma.$queryRaw<{ hash: string; hashVersion: number }[]>`SELECT hash, "hashVersion" FROM api_keys WHERE id = ${keyId}`.then((r) => r[0]);
}

const bearer = (token: string) => new Request("http://rekey.test/api/v1/keys", { headers: { authorization: `Bearer ${token}` } });

/**
 * verifyKey, then the cache's own answer. On a PostgreSQL server the NOTIFY of
 * a write just made (the key's insert, its move to the new version) arrives a
 * moment later and evicts what verifyKey cached; so verify again until the
 * cache holds it (within 2 s), as the next request would find it.
 */
async function cachedAnswer(secret: string) {
  for (const start = Date.now(); Date.now() - start < 2_000; await new Promise((r) => setTimeout(r, 20))) {
    await verifyKey(secret, T0);
    const hit = verifyKeyFromCache(secret, T0);
    if (hit) return hit;
  }
  return null;
}

describe("rotating the hashing secret", () => {
  it("keys hashed under v1 verify after the switch to v2, move to v2 at their first use, and are counted per version", async () => {
    configure(null);
    const org = await makeOrg();
    const used = await makeKey(org.id);
    const idle = await makeKey(org.id);
    const revoked = await makeKey(org.id);
    await revokeKey({ keyId: revoked.key.id, reason: "test" }, { actor: ADMIN, now: T0 });
    expect(await row(used.key.id)).toEqual({ hash: keyedHash(V1, used.secret), hashVersion: 1 });

    configure(`1:${V1},*2:${V2}`);
    const fresh = await makeKey(org.id);
    expect(await row(fresh.key.id)).toEqual({ hash: keyedHash(V2, fresh.secret), hashVersion: 2 });
    expect(await verifyKey(used.secret, T0)).toMatchObject({ valid: true, keyId: used.key.id });
    // Answered from the cache too (under its old hash) before the write lands.
    expect(await cachedAnswer(used.secret)).toMatchObject({ valid: true, keyId: used.key.id });
    await flushUsage();
    expect(await row(used.key.id)).toEqual({ hash: keyedHash(V2, used.secret), hashVersion: 2 });
    // After the move, found under its new hash, from the database and from the cache.
    clearVerifyCache();
    expect(await verifyKey(used.secret, T0)).toMatchObject({ valid: true, keyId: used.key.id });
    expect(await cachedAnswer(used.secret)).toMatchObject({ valid: true, keyId: used.key.id });
    // A revoked key is refused, and stays where it is.
    expect(await verifyKey(revoked.secret, T0)).toEqual({ valid: false, code: "revoked" });
    await flushUsage();
    expect((await row(revoked.key.id)).hashVersion).toBe(1);

    const counts = await countByHashVersion();
    expect(counts).toEqual([
      { version: 2, keysInUse: 2, keys: 2, tokensInUse: 0 },
      { version: 1, keysInUse: 1, keys: 2, tokensInUse: 0 },
    ]);
    const overview = await hashVersionOverview();
    expect(overview.current).toBe(2);
    expect(overview.rows.map((r) => [r.version, r.keysInUse, r.configured, r.current, r.retirable])).toEqual([
      [2, 2, true, true, false],
      [1, 1, true, false, false],
    ]);
    const metrics = (await renderMetrics(T0)).body;
    expect(metrics).toMatch(/^rekey_keys_by_hash_version\{version="1"\} 1$/m);
    expect(metrics).toMatch(/^rekey_keys_by_hash_version\{version="2"\} 2$/m);
    expect(metrics).toMatch(/^rekey_hash_version_current 2$/m);
    // Nothing secret in what the page and metrics show.
    for (const text of [metrics, JSON.stringify(overview)]) for (const s of [V1, V2, used.secret, idle.secret]) expect(text).not.toContain(s);

    // The idle key used once: now nothing in use is left on v1, which may be retired.
    expect(await verifyKey(idle.secret, T0)).toMatchObject({ valid: true });
    await flushUsage();
    expect((await hashVersionOverview()).rows.find((r) => r.version === 1)).toMatchObject({ keysInUse: 0, keys: 1, retirable: true });
    expect((await renderMetrics(T0)).body).toMatch(/^rekey_keys_by_hash_version\{version="1"\} 0$/m);
  });

  it("a removed old version refuses only the keys still stored under it", async () => {
    configure(null);
    const org = await makeOrg();
    const moved = await makeKey(org.id);
    const left = await makeKey(org.id);
    configure(`1:${V1},*2:${V2}`);
    expect(await verifyKey(moved.secret, T0)).toMatchObject({ valid: true });
    await flushUsage();
    const newer = await makeKey(org.id);

    configure(`*2:${V2}`);
    expect(await verifyKey(moved.secret, T0)).toMatchObject({ valid: true, keyId: moved.key.id });
    expect(await verifyKey(newer.secret, T0)).toMatchObject({ valid: true, keyId: newer.key.id });
    expect(await verifyKey(left.secret, T0)).toEqual({ valid: false, code: "unknown" });
    // Self-rotation finds keys the same way.
    await expect(selfRotate(left.secret, T0)).rejects.toThrow(/not known/);
    // The page says what is left on a version no longer configured.
    expect((await hashVersionOverview()).rows.find((r) => r.version === 1)).toMatchObject({ keysInUse: 1, configured: false, retirable: false });
    // Putting it back brings the key back: removing a version destroys nothing.
    configure(`1:${V1},*2:${V2}`);
    expect(await verifyKey(left.secret, T0)).toMatchObject({ valid: true, keyId: left.key.id });
  });

  it("a key cached under its old hash is refused here within a second when another instance re-hashes and then revokes it (NOTIFY names both hashes)", async () => {
    configure(null);
    const org = await makeOrg();
    const key = await makeKey(org.id);
    configure(`1:${V1},*2:${V2}`);
    expect(await verifyKey(key.secret, T0)).toMatchObject({ valid: true });
    expect(await cachedAnswer(key.secret)).toMatchObject({ valid: true }); // cached under its version 1 hash
    // Another instance: not through this process's transactions, so only the triggers' NOTIFY can tell this one.
    const prisma = await testPrisma();
    await prisma.$executeRaw`UPDATE api_keys SET hash = ${keyedHash(V2, key.secret)}, "hashVersion" = 2 WHERE id = ${key.key.id}`;
    await prisma.$executeRaw`UPDATE api_keys SET status = 'revoked', "revokedAt" = ${T0} WHERE id = ${key.key.id}`;
    const start = Date.now();
    let answer = await verifyKey(key.secret, T0);
    while (answer.valid && Date.now() - start < 3_000) {
      await new Promise((r) => setTimeout(r, 10));
      answer = await verifyKey(key.secret, T0);
    }
    expect(answer).toEqual({ valid: false, code: "revoked" });
    expect(Date.now() - start).toBeLessThan(1_000);
  });

  it("a row is found only under its own version: a v1 hash stored as version 2 is not a match", async () => {
    configure(`1:${V1},*2:${V2}`);
    const org = await makeOrg();
    const key = await makeKey(org.id);
    const prisma = await testPrisma();
    await prisma.$executeRaw`UPDATE api_keys SET hash = ${keyedHash(V1, key.secret)}, "hashVersion" = 2 WHERE id = ${key.key.id}`;
    clearVerifyCache();
    expect(await verifyKey(key.secret, T0)).toEqual({ valid: false, code: "unknown" });
  });

  it("management tokens move the same way, and a removed version refuses only tokens still on it", async () => {
    configure(null);
    const moved = await createManagementToken("moved", { actor: ADMIN, now: T0 });
    const left = await createManagementToken("left", { actor: ADMIN, now: T0 });
    configure(`1:${V1},*2:${V2}`);
    expect(await authenticateManagementRequest(bearer(moved.secret), T0)).toBe(`token:${moved.token.id}`);
    const prisma = await testPrisma();
    const stored = await prisma.managementToken.findUniqueOrThrow({ where: { id: moved.token.id }, select: { hash: true, hashVersion: true } });
    expect(stored).toEqual({ hash: keyedHash(V2, moved.secret), hashVersion: 2 });
    expect((await countByHashVersion()).find((c) => c.version === 1)?.tokensInUse).toBe(1);
    configure(`*2:${V2}`);
    expect(await authenticateManagementRequest(bearer(moved.secret), T0)).toBe(`token:${moved.token.id}`);
    await expect(authenticateManagementRequest(bearer(left.secret), T0)).rejects.toThrow(/not a valid management token/);
  });

  it("a re-hash reaches replicas: the change stream deletes the old hash and carries the record under the new one", async () => {
    configure(null);
    const org = await makeOrg();
    const key = await makeKey(org.id);
    const oldHash = keyedHash(V1, key.secret);
    configure(`1:${V1},*2:${V2}`);
    const snapshot: string[] = [];
    for await (const chunk of snapshotLines(new Date())) snapshot.push(...chunk.split("\n").filter(Boolean));
    const header = JSON.parse(snapshot[0]);
    expect(header.hashVersions).toEqual({ current: 2, accepted: [2, 1] });
    expect(snapshot.map((l) => JSON.parse(l)).find((r) => r.keyId === key.key.id)).toMatchObject({ hash: oldHash, hashVersion: 1 });
    expect(snapshot.join("")).not.toContain(V1);

    expect(await verifyKey(key.secret, T0)).toMatchObject({ valid: true });
    await flushUsage();
    const changes = await changesAfter(header.cursor, 2_000, new Date());
    expect(changes.changes).toEqual(
      expect.arrayContaining([
        { hash: oldHash, record: null },
        { hash: keyedHash(V2, key.secret), record: expect.objectContaining({ keyId: key.key.id, hashVersion: 2 }) },
      ]),
    );
  });

  it("an old version with keys in use past REKEY_SECRET_LINGER_DAYS raises one alert, resolved when none is left", async () => {
    configure(null);
    const org = await makeOrg();
    const key = await makeKey(org.id);
    expect(await raiseLingeringHashVersionAlerts(T0)).toBe(0);
    configure(`1:${V1},*2:${V2}`);
    const switched = new Date(T0.getTime() + DAY);
    expect(await raiseLingeringHashVersionAlerts(switched)).toBe(0);
    const prisma = await testPrisma();
    expect(await prisma.hashVersion.findUnique({ where: { version: 2 } })).toMatchObject({ currentSince: switched });
    expect(await prisma.auditEvent.count({ where: { action: "hashing_secret.activated" } })).toBe(2);
    expect(await raiseLingeringHashVersionAlerts(new Date(switched.getTime() + 29 * DAY))).toBe(0);
    const late = new Date(switched.getTime() + 31 * DAY);
    expect(await raiseLingeringHashVersionAlerts(late)).toBe(1);
    expect(await raiseLingeringHashVersionAlerts(late)).toBe(0); // once per version
    const alert = await prisma.alert.findFirstOrThrow({ where: { kind: "old_hash_version" } });
    expect(alert.message).toMatch(/version 1 still holds 1 key\(s\) in use/);
    expect(await resolveClearedAlerts(late)).toBe(0);
    await revokeKey({ keyId: key.key.id, reason: "test" }, { actor: ADMIN, now: late });
    expect(await resolveClearedAlerts(late)).toBe(1);
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).status).toBe("resolved");
  });
});
