import { createHash, randomBytes, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import bcrypt from "bcryptjs";
import { hash as argon2Hash } from "@node-rs/argon2";
import { useTestDatabase, testPrisma } from "./support/database";
import { call, useFastVerifyServer } from "./support/http";
import { POST as importRoute } from "../app/api/v1/keys/import/route";
import { POST as verifyRoute } from "../app/api/v1/keys/verify/route";
import { importKeys, type ImportLine } from "../lib/keys/import";
import { verifyKey } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { revokeKey } from "../lib/keys/mutations";
import { hashUnder } from "../lib/keys/hash";
import { getHashingSecrets } from "../lib/secret";
import { changesAfter, snapshotLines } from "../lib/keys/changes";
import { ADMIN, T0, at, hours } from "./support/fixtures";

useTestDatabase();
const fastPath = useFastVerifyServer();

/** A key in the shape of the company's earlier system (not rekey's format: no checksum, another prefix). */
const legacyKey = () => `acme_live_${randomBytes(24).toString("base64url")}`;
const sha256hex = (k: string) => createHash("sha256").update(k).digest("hex");
const sha256b64 = (k: string) => createHash("sha256").update(k).digest("base64");

async function hashOf(algorithm: "sha256" | "sha256-base64" | "bcrypt" | "argon2" | "scrypt", key: string): Promise<ImportLine["hash"]> {
  switch (algorithm) {
    case "sha256":
      return { algorithm: "sha256", value: sha256hex(key) };
    case "sha256-base64":
      return { algorithm: "sha256", value: sha256b64(key) };
    case "bcrypt":
      return { algorithm: "bcrypt", value: bcrypt.hashSync(key, 4) };
    case "argon2":
      return { algorithm: "argon2", value: await argon2Hash(key, { memoryCost: 1024, timeCost: 1 }) };
    case "scrypt": {
      const salt = randomBytes(16);
      return {
        algorithm: "scrypt",
        value: scryptSync(key, salt, 32, { N: 1024, r: 8, p: 1 }).toString("hex"),
        params: { salt: salt.toString("base64"), N: 1024, r: 8, p: 1 },
      };
    }
  }
}

let n = 0;
async function line(key: string, algorithm: Parameters<typeof hashOf>[0], extra: Partial<ImportLine> = {}): Promise<ImportLine> {
  n++;
  return {
    organization: { externalId: `cus_${n}_${randomBytes(3).toString("hex")}`, name: `Imported Org ${n} ${randomBytes(3).toString("hex")}` },
    name: `legacy key ${n}`,
    prefix: key.slice(0, 16),
    hash: await hashOf(algorithm, key),
    scopes: ["read:orders"],
    rateLimit: 120,
    createdAt: new Date(T0.getTime() - 400 * 24 * hours(1)).toISOString(),
    lastUsedAt: new Date(T0.getTime() - hours(5)).toISOString(),
    externalId: `key_${n}_${randomBytes(3).toString("hex")}`,
    metadata: { plan: "gold" },
    ...extra,
  };
}

/** Everything an import may change. */
async function snapshot() {
  const prisma = await testPrisma();
  const [row] = await prisma.$queryRawUnsafe<{ d: string }[]>(`select json_build_array(
    (select count(*) from organizations), (select count(*) from api_keys), (select count(*) from audit_events),
    (select md5(coalesce(string_agg(id || hash || "hashVersion" || coalesce("legacyHash", ''), ',' order by id), '')) from api_keys))::text as d`);
  return row.d;
}

async function stored(keyId: string) {
  const prisma = await testPrisma();
  return prisma.apiKey.findUniqueOrThrow({
    where: { id: keyId },
    select: { hash: true, hashVersion: true, legacyHash: true, legacyAlgorithm: true, createdAt: true, importedAt: true, lastUsedAt: true },
  });
}

describe("import of existing keys by their stored hashes", () => {
  it.each(["sha256", "sha256-base64", "bcrypt", "argon2", "scrypt"] as const)(
    "a key imported by its %s hash verifies at once, then moves to rekey's keyed hash at its first use",
    async (algorithm) => {
      const key = legacyKey();
      const input = await line(key, algorithm);
      const result = await importKeys([input], { actor: ADMIN, now: T0 });
      expect(result).toMatchObject({ imported: 1, unchanged: 0, refused: 0, organizationsCreated: 1 });
      const outcome = result.lines[0];
      if (outcome.status !== "imported") throw new Error(JSON.stringify(outcome));
      const before = await stored(outcome.keyId);
      expect(before).toMatchObject({ hashVersion: 0, legacyAlgorithm: input.hash.algorithm, legacyHash: input.hash.value });
      // Its real age, not its import date.
      expect(before.createdAt.toISOString()).toBe(input.createdAt);
      expect(before.importedAt!.toISOString()).toBe(T0.toISOString());

      // The route handler and the fast path both accept it, with the company's ids.
      const route = await call(verifyRoute, { body: { key }, token: null });
      expect(route.json).toMatchObject({
        valid: true,
        keyId: outcome.keyId,
        externalId: input.externalId,
        metadata: { plan: "gold" },
        organizationExternalId: input.organization.externalId,
      });
      const fast = await (
        await fetch(`${fastPath()}/api/v1/keys/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) })
      ).json();
      expect(fast).toEqual(route.json);

      // The first successful verification upgrades it: the legacy hash is gone, the keyed hash is rekey's.
      await flushUsage();
      const after = await stored(outcome.keyId);
      expect(after).toMatchObject({
        legacyHash: null,
        legacyAlgorithm: null,
        hashVersion: getHashingSecrets().current,
        hash: hashUnder(getHashingSecrets().current, key),
      });
      const prisma = await testPrisma();
      const upgraded = await prisma.auditEvent.findFirst({ where: { keyId: outcome.keyId, action: "key.hash_upgraded" } });
      expect(upgraded).toMatchObject({ actor: "verifier", before: { hash: input.hash.algorithm }, after: { hash: "hmac-sha256" } });
      expect(await verifyKey(key, at(hours(1)))).toMatchObject({ valid: true, keyId: outcome.keyId });

      // A wrong key under the same prefix is unknown, and changes nothing.
      expect(await verifyKey(key.slice(0, 16) + "x".repeat(key.length - 16), at(hours(1)))).toEqual({ valid: false, code: "unknown" });
    },
  );

  it("refuses an imported key once revoked, before and after its upgrade", async () => {
    const [a, b] = [legacyKey(), legacyKey()];
    const result = await importKeys([await line(a, "bcrypt"), await line(b, "sha256")], { actor: ADMIN, now: T0 });
    const [ida, idb] = result.lines.map((l) => (l.status === "imported" ? l.keyId : ""));
    // a: revoked while still on its legacy hash (never verified).
    await revokeKey({ keyId: ida, reason: "customer left" }, { actor: ADMIN, now: at(1000) });
    expect(await verifyKey(a, at(2000))).toMatchObject({ valid: false, code: "revoked" });
    // b: verified (upgraded), then revoked.
    expect(await verifyKey(b, at(2000))).toMatchObject({ valid: true });
    await flushUsage();
    expect((await stored(idb)).legacyHash).toBeNull();
    await revokeKey({ keyId: idb, reason: "leaked" }, { actor: ADMIN, now: at(3000) });
    expect(await verifyKey(b, at(4000))).toMatchObject({ valid: false, code: "revoked" });
  });

  it("is idempotent: a re-run, before or after the keys' upgrade, changes nothing", async () => {
    const keys = [legacyKey(), legacyKey(), legacyKey()];
    const lines = [await line(keys[0], "sha256"), await line(keys[1], "argon2"), await line(keys[2], "bcrypt")];
    const first = await importKeys(lines, { actor: ADMIN, now: T0 });
    expect(first.imported).toBe(3);
    const afterFirst = await snapshot();
    const again = await importKeys(lines, { actor: ADMIN, now: at(hours(1)) });
    expect(again).toMatchObject({ imported: 0, unchanged: 3, refused: 0, organizationsCreated: 0 });
    expect(again.lines.map((l) => l.status === "unchanged" && l.keyId)).toEqual(first.lines.map((l) => l.status === "imported" && l.keyId));
    expect(await snapshot()).toBe(afterFirst);
    // After an upgrade the legacy hash is gone; the import still knows the key.
    expect(await verifyKey(keys[0], at(hours(2)))).toMatchObject({ valid: true });
    await flushUsage();
    const upgraded = await snapshot();
    expect(await importKeys(lines, { actor: ADMIN, now: at(hours(3)) })).toMatchObject({ imported: 0, unchanged: 3 });
    expect(await snapshot()).toBe(upgraded);
  });

  it("reports each bad line with why, and writes the good ones of its batch together", async () => {
    const good = legacyKey();
    const lines: unknown[] = [
      await line(good, "sha256"),
      { ...(await line(legacyKey(), "bcrypt")), hash: { algorithm: "bcrypt", value: "not-a-bcrypt-hash" } },
      { ...(await line(legacyKey(), "sha256")), createdAt: "2999-01-01T00:00:00Z" },
      { ...(await line(legacyKey(), "sha256")), prefix: "ab" },
      { ...(await line(legacyKey(), "scrypt")), hash: { algorithm: "scrypt", value: "00ff" } },
      "not an object",
    ];
    const result = await importKeys(lines, { actor: ADMIN, now: T0 }, { firstLine: 10 });
    expect(result).toMatchObject({ imported: 1, refused: 5 });
    expect(result.lines.map((l) => [l.line, l.status])).toEqual([
      [10, "imported"],
      [11, "refused"],
      [12, "refused"],
      [13, "refused"],
      [14, "refused"],
      [15, "refused"],
    ]);
    const errors = result.lines.map((l) => (l.status === "refused" ? l.error : ""));
    expect(errors[1]).toMatch(/^hash\.value: a bcrypt hash looks like/);
    expect(errors[2]).toMatch(/^createdAt: must not be in the future/);
    expect(errors[3]).toMatch(/^prefix: must be at least 6 characters/);
    expect(errors[4]).toMatch(/^hash\.params: scrypt needs its parameters/);
    expect(errors[5]).toMatch(/expected object|must be/i);
    expect(await verifyKey(good, at(1000))).toMatchObject({ valid: true });
  });

  it("a failure half-way through a batch leaves nothing of it: no key, no organization, no audit event", async () => {
    const prisma = await testPrisma();
    // A fault injected at the database: the insert of one of the batch's keys fails.
    await prisma.$executeRawUnsafe(
      `CREATE OR REPLACE FUNCTION test_import_fault() RETURNS trigger AS $$ BEGIN IF NEW.name = 'explode' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
    );
    await prisma.$executeRawUnsafe(`CREATE TRIGGER test_import_fault BEFORE INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION test_import_fault()`);
    try {
      await flushUsage(); // the last test's upgrade, written now rather than during this one
      const before = await snapshot();
      const lines = [await line(legacyKey(), "sha256"), await line(legacyKey(), "sha256", { name: "explode" }), await line(legacyKey(), "sha256")];
      await expect(importKeys(lines, { actor: ADMIN, now: T0 })).rejects.toThrow(/injected fault/);
      expect(await snapshot()).toBe(before);
    } finally {
      await prisma.$executeRawUnsafe(`DROP TRIGGER test_import_fault ON api_keys`);
      await prisma.$executeRawUnsafe(`DROP FUNCTION test_import_fault()`);
    }
  });

  it("finds an organization by its external id, refuses what would collide, and a dry run writes nothing", async () => {
    const shared = `cus_shared_${randomBytes(3).toString("hex")}`;
    const input = await line(legacyKey(), "sha256", { organization: { externalId: shared, name: `Shared ${shared}` } });
    const one = await importKeys([input], { actor: ADMIN, now: T0 });
    expect(one.organizationsCreated).toBe(1);
    const first = one.lines[0] as { keyId: string; organizationId: string };
    const two = await importKeys([await line(legacyKey(), "sha256", { organization: { externalId: shared } })], { actor: ADMIN, now: T0 });
    expect(two).toMatchObject({ organizationsCreated: 0, lines: [{ status: "imported", organizationId: first.organizationId }] });

    // A new organization whose name another organization holds, and a key external id already taken.
    const taken = await line(legacyKey(), "sha256", { organization: { externalId: `cus_new_${randomBytes(3).toString("hex")}`, name: `Shared ${shared}` } });
    const dupExt = await line(legacyKey(), "sha256", { externalId: input.externalId });
    // Earlier tests' verifications upgrade their keys in the next usage batch (a key.hash_upgraded audit event each):
    // written now, not in the middle of what must change nothing.
    await flushUsage();
    const before = await snapshot();
    const refused = await importKeys([taken, dupExt], { actor: ADMIN, now: T0 });
    expect(refused.lines.map((l) => l.status === "refused" && l.error)).toEqual([
      expect.stringMatching(/^organization\.name: "Shared .*" is another organization's name/),
      expect.stringMatching(/^externalId: .* is already another key's/),
    ]);
    expect(await snapshot()).toBe(before);

    const fresh = legacyKey();
    const dry = await importKeys([await line(fresh, "bcrypt")], { actor: ADMIN, now: T0 }, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, imported: 1, organizationsCreated: 1 });
    expect(await snapshot()).toBe(before);
    expect(await verifyKey(fresh, at(1000))).toEqual({ valid: false, code: "malformed" });
  });

  it("through the management endpoint: a token is required, bad bodies are 400s, and an Idempotency-Key replays the first answer", async () => {
    const key = legacyKey();
    const body = { keys: [await line(key, "sha256")], firstLine: 2 };
    expect((await call(importRoute, { body, token: null })).status).toBe(401);
    expect(await call(importRoute, { body: { keys: "x" } })).toMatchObject({ status: 400, json: { error: { code: "invalid_request", field: "keys" } } });
    expect(await call(importRoute, { body: { keys: [], extra: 1 } })).toMatchObject({ status: 400, json: { error: { field: "extra" } } });
    expect(await call(importRoute, { body: { keys: [] } })).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringMatching(/at least one key/) } },
    });
    const dry = await call(importRoute, { body, path: "/api/v1/keys/import?dryRun=1" });
    expect(dry).toMatchObject({ status: 200, json: { dryRun: true, imported: 1 } });
    const headers = { "idempotency-key": `import-${randomBytes(4).toString("hex")}` };
    const first = await call(importRoute, { body, headers });
    expect(first).toMatchObject({ status: 201, json: { imported: 1, lines: [{ line: 2, status: "imported" }] } });
    const replay = await call(importRoute, { body, headers });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json).toEqual(first.json);
    // Without the header, a re-run says unchanged.
    expect(await call(importRoute, { body })).toMatchObject({ status: 200, json: { imported: 0, unchanged: 1 } });
    expect(await verifyKey(key, at(1000))).toMatchObject({ valid: true });
    // Nothing of a key's hash or the key in the answer.
    expect(JSON.stringify(first.json)).not.toContain(body.keys[0].hash.value);
  });

  it("noise that is neither rekey's format nor an imported prefix is malformed", async () => {
    await importKeys([await line(legacyKey(), "sha256")], { actor: ADMIN, now: T0 });
    expect(await verifyKey("zzzz_not_a_key_at_all_0123456789", at(1000))).toEqual({ valid: false, code: "malformed" });
    expect(await verifyKey("acme_live_", at(1000))).toEqual({ valid: false, code: "malformed" });
  });

  it("in-process replicas get an imported key once it is on rekey's hash, never its legacy hash or placeholder", async () => {
    const key = legacyKey();
    const input = await line(key, "argon2");
    const lines: string[] = [];
    const imported = await importKeys([input], { actor: ADMIN, now: T0 });
    const keyId = (imported.lines[0] as { keyId: string }).keyId;
    for await (const chunk of snapshotLines(at(1000))) lines.push(...chunk.split("\n").filter(Boolean));
    const header = JSON.parse(lines[0]) as { cursor: string };
    expect(lines.some((l) => l.includes(keyId))).toBe(false);
    expect(lines.join("\n")).not.toContain(input.hash.value);

    expect(await verifyKey(key, at(2000))).toMatchObject({ valid: true });
    await flushUsage();
    const changes = await changesAfter(header.cursor, 0, at(3000));
    expect(changes.changes.some((c) => c.hash.startsWith("legacy:"))).toBe(false);
    const upgraded = changes.changes.find((c) => c.record?.keyId === keyId);
    expect(upgraded).toMatchObject({
      hash: hashUnder(getHashingSecrets().current, key),
      record: { hashVersion: getHashingSecrets().current, externalId: input.externalId },
    });
    expect(JSON.stringify(changes)).not.toContain(input.hash.value);
  });

  it('a key tried before its import is found at once after it (the cached "unknown" is asked again)', async () => {
    const key = `acme_live_${randomBytes(24).toString("base64url")}`;
    expect(await verifyKey(key, at(1000))).toEqual({ valid: false, code: "malformed" });
    // One of rekey's own format, cached as unknown, then imported under its sha256 hash.
    const { generateApiKey } = await import("../lib/keys/format");
    const { secret } = generateApiKey("live");
    expect(await verifyKey(secret, at(1000))).toEqual({ valid: false, code: "unknown" });
    await importKeys([await line(secret, "sha256", { prefix: secret.slice(0, 16) }), await line(key, "sha256")], { actor: ADMIN, now: T0 });
    expect(await verifyKey(secret, at(2000))).toMatchObject({ valid: true });
    expect(await verifyKey(key, at(2000))).toMatchObject({ valid: true });
  });

  it("a pasted imported key in the staff search is found like a full key, and anything else under its prefix is cut to it", async () => {
    const { findImportedKeyBySearch } = await import("../lib/keys/queries");
    const [a, b] = [legacyKey(), legacyKey()];
    const result = await importKeys([await line(a, "bcrypt"), await line(b, "sha256")], { actor: ADMIN, now: T0 });
    const [ida, idb] = result.lines.map((l) => (l.status === "imported" ? l.keyId : ""));
    // a on its legacy hash; b verified, so on rekey's keyed hash.
    expect(await verifyKey(b, at(1000))).toMatchObject({ valid: true });
    await flushUsage();
    expect(await findImportedKeyBySearch(a)).toEqual({ prefix: a.slice(0, 16), keyId: ida });
    expect(await findImportedKeyBySearch(b)).toEqual({ prefix: b.slice(0, 16), keyId: idb });
    // A wrong key under a's prefix: only the prefix goes on (into the URL), no key.
    expect(await findImportedKeyBySearch(a.slice(0, 16) + "Z".repeat(16))).toEqual({ prefix: a.slice(0, 16), keyId: null });
    // A name, or text under no imported prefix: not this search's.
    expect(await findImportedKeyBySearch("Imported Org")).toBeNull();
    expect(await findImportedKeyBySearch(legacyKey())).toBeNull();
  });
});
