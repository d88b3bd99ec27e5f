import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { call } from "./support/http";
import { ADMIN, makeKey, makeOrg } from "./support/fixtures";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Replica, type ReplicaOptions } from "../packages/verifier/src/replica";
import { requireKey, type VerifiedRequest } from "../packages/verifier/src/middleware";
import { verifyKey, clearVerifyCache } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { reloadSecrets } from "../lib/secret";
import { setKeyFormatForTests } from "../lib/keys/format";
import type { KeyFormat } from "../lib/keys/key-format";
import { emergencyRotate, rotateNow, scheduleRotation } from "../lib/rotations/mutations";
import { revokeKey } from "../lib/keys/mutations";
import { purgeExpired } from "../lib/cron/retention";
import * as snapshotRoute from "../app/api/v1/verifier/snapshot/route";
import * as changesRoute from "../app/api/v1/verifier/changes/route";
import * as usageRoute from "../app/api/v1/verifier/usage/route";

useTestDatabase();
beforeEach(resetTestData);

const HOUR = 3_600_000;
const routes: Record<string, (request: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>> = {
  "/api/v1/verifier/snapshot": snapshotRoute.GET,
  "/api/v1/verifier/changes": changesRoute.GET,
  "/api/v1/verifier/usage": usageRoute.POST,
};

/** rekey's route handlers behind a fetch, with a switch that makes rekey unreachable, and a record of every body sent. */
function inProcessRekey() {
  const state = { reachable: true, bodies: [] as string[] };
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (!state.reachable) throw new TypeError("fetch failed: connect ECONNREFUSED");
    const url = new URL(String(input));
    const response = await routes[url.pathname](new Request(url, init), { params: Promise.resolve({}) });
    const text = await response.text();
    state.bodies.push(text);
    return new Response(text, { status: response.status, headers: response.headers });
  }) as typeof globalThis.fetch;
  return { state, fetch };
}

const replicas: Replica[] = [];
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.close()));
});

function replicaOf(fetch: typeof globalThis.fetch, options: Partial<ReplicaOptions> = {}) {
  const replica = new Replica({
    url: "http://rekey.test",
    token: process.env.REKEY_BOOTSTRAP_TOKEN!,
    hashingSecret: process.env.REKEY_SECRET!,
    fetch,
    waitSeconds: 1,
    ...options,
  });
  replicas.push(replica);
  return replica;
}

async function eventually(check: () => boolean, ms = 3_000) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

/** Every string an object graph holds (Map keys and values, arrays, fields): what a heap dump of it would show. */
function stringsIn(value: unknown, seen = new Set<unknown>()): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object" || seen.has(value)) return [];
  seen.add(value);
  if (value instanceof Map) return [...value.entries()].flatMap(([k, v]) => [...stringsIn(k, seen), ...stringsIn(v, seen)]);
  if (ArrayBuffer.isView(value)) return [];
  return Object.values(value).flatMap((v) => stringsIn(v, seen));
}

/** Keys in every state a verifier must tell apart, made at the real time (the replica reads the real clock). */
async function world() {
  const now = new Date();
  const org = await makeOrg();
  const active = await makeKey(org.id);
  const rotated = await makeKey(org.id);
  const { successorSecret } = await rotateNow({ keyId: rotated.key.id, deliver: "response", gracePeriodHours: 24 }, { actor: ADMIN, now });
  const leaked = await makeKey(org.id);
  await emergencyRotate({ keyId: leaked.key.id, gracePeriodHours: 0, reason: "leaked" }, { actor: ADMIN, now });
  const scheduled = await makeKey(org.id, { at: now });
  await scheduleRotation({ keyId: scheduled.key.id, scheduledAt: new Date(now.getTime() + HOUR) }, { actor: ADMIN, now });
  return {
    org,
    active,
    rotated,
    successorSecret: successorSecret!,
    leaked,
    scheduled,
    secrets: [active.secret, rotated.secret, successorSecret!, leaked.secret, scheduled.secret],
  };
}

describe("the in-process verifier (docs/verifier-protocol.md)", () => {
  it("answers exactly as rekey's verify endpoint for every kind of key, with no network hop", async () => {
    const w = await world();
    const rekey = inProcessRekey();
    const replica = replicaOf(rekey.fetch);
    await replica.start();
    const unknown = `rk_live_${"0".repeat(43)}`;
    for (const secret of [...w.secrets, unknown, "nonsense"]) {
      clearVerifyCache();
      const fetches = rekey.state.bodies.length;
      const local = replica.verify(secret);
      expect(rekey.state.bodies.length).toBe(fetches); // answered without asking rekey
      const server = await verifyKey(secret, new Date());
      expect(local).toEqual(server);
    }
    expect(replica.verify(w.rotated.secret)).toMatchObject({ valid: true, deprecated: true });
    expect(replica.verify(w.leaked.secret)).toEqual({ valid: false, code: "revoked" });
  });

  it("follows the change stream: a revocation reaches it within a second, and it catches up after a gap without a new snapshot", async () => {
    const w = await world();
    const rekey = inProcessRekey();
    const replica = replicaOf(rekey.fetch);
    await replica.start();
    expect(replica.verify(w.active.secret)).toMatchObject({ valid: true });
    await revokeKey({ keyId: w.active.key.id, reason: "customer left" }, { actor: ADMIN, now: new Date() });
    const ms = await eventually(() => !replica.verify(w.active.secret).valid);
    expect(ms).toBeLessThan(1_000);
    expect(replica.verify(w.active.secret)).toEqual({ valid: false, code: "revoked" });

    // rekey unreachable for a while; changes pile up; then it is back.
    rekey.state.reachable = false;
    await new Promise((r) => setTimeout(r, 1_500));
    const more = await Promise.all([makeKey(w.org.id), makeKey(w.org.id)]);
    await revokeKey({ keyId: w.scheduled.key.id, reason: "found in a log" }, { actor: ADMIN, now: new Date() });
    expect(replica.verify(more[0].secret)).toEqual({ valid: false, code: "unknown" });
    rekey.state.reachable = true;
    await eventually(() => replica.verify(more[1].secret).valid && !replica.verify(w.scheduled.secret).valid, 10_000);
    expect(replica.verify(more[0].secret)).toMatchObject({ valid: true });
    expect(replica.status()).toMatchObject({ snapshots: 1, ready: true, serving: true });
    expect(replica.status().failures).toBeGreaterThan(0);
  });

  it("fails closed once its window has passed without news from rekey, and serves again when rekey is back", async () => {
    const w = await world();
    const rekey = inProcessRekey();
    let clock = Date.now();
    const replica = replicaOf(rekey.fetch, { maxStalenessMs: 60_000, now: () => clock });
    await replica.start();
    rekey.state.reachable = false;
    await new Promise((r) => setTimeout(r, 1_200)); // the poll in flight ends; the next ones fail
    clock += 59_000;
    expect(replica.verify(w.active.secret)).toMatchObject({ valid: true }); // inside the window: rekey's outage does not reach the API
    clock += 2_000;
    expect(replica.verify(w.active.secret)).toEqual({ valid: false, code: "unavailable" });
    expect(replica.verify(w.leaked.secret)).toEqual({ valid: false, code: "unavailable" });
    expect(replica.status().serving).toBe(false);
    rekey.state.reachable = true;
    await eventually(() => replica.status().serving, 10_000);
    expect(replica.verify(w.active.secret)).toMatchObject({ valid: true });
  });

  it("loads a new snapshot when a policy change may change every answer", async () => {
    await world();
    const rekey = inProcessRekey();
    const replica = replicaOf(rekey.fetch);
    await replica.start();
    const prisma = await testPrisma();
    await prisma.rotationPolicy.create({ data: { name: "Waits", waitForSuccessorUse: true, isDefault: true } });
    await eventually(() => replica.status().snapshots === 2);
  });

  it("reports usage back in batches: counts, last use, and the first use the extension rule reads", async () => {
    const w = await world();
    const rekey = inProcessRekey();
    const replica = replicaOf(rekey.fetch, { usageReportMs: 60_000 });
    await replica.start();
    for (let i = 0; i < 5; i++) replica.verify(w.successorSecret);
    replica.verify(w.leaked.secret);
    await replica.close();
    await flushUsage();
    const prisma = await testPrisma();
    const successor = await prisma.apiKey.findFirstOrThrow({ where: { predecessorId: w.rotated.key.id } });
    expect(successor.firstUsedAt).not.toBeNull();
    expect(successor.lastUsedAt).not.toBeNull();
    const usage = await prisma.keyUsageHourly.findMany({ where: { keyId: { in: [successor.id, w.leaked.key.id] } } });
    expect(usage.find((u) => u.keyId === successor.id)?.verifications).toBe(5);
    expect(usage.find((u) => u.keyId === w.leaked.key.id)?.rejected).toBe(1);
  });

  it("never holds or receives a full key: not in the snapshot, the stream, or its memory", async () => {
    const w = await world();
    const rekey = inProcessRekey();
    const replica = replicaOf(rekey.fetch);
    await replica.start();
    await revokeKey({ keyId: w.active.key.id, reason: "no longer needed" }, { actor: ADMIN, now: new Date() });
    await eventually(() => !replica.verify(w.active.secret).valid);
    const everything = `${rekey.state.bodies.join("\n")}\n${stringsIn((replica as unknown as { records: unknown }).records).join("\n")}`;
    expect(everything).toContain(w.active.key.id);
    for (const secret of w.secrets) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(8, 40)); // nor the random part alone
    }
  });

  it("refuses callers without a token, a malformed cursor, and a cursor older than the stream keeps", async () => {
    expect((await call(snapshotRoute.GET, { method: "GET", path: "/api/v1/verifier/snapshot", token: null })).status).toBe(401);
    expect((await call(changesRoute.GET, { method: "GET", path: "/api/v1/verifier/changes?cursor=1.0.0", token: "rkm_mgmt_wrong" })).status).toBe(401);
    const bad = await call(changesRoute.GET, { method: "GET", path: "/api/v1/verifier/changes?cursor=abc" });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/cursor/);
    const old = await call(changesRoute.GET, { method: "GET", path: `/api/v1/verifier/changes?cursor=1.0.${Date.now() - 13 * HOUR}&wait=0` });
    expect(old.status).toBe(410);
    const usage = await call(usageRoute.POST, {
      path: "/api/v1/verifier/usage",
      body: { keys: [{ keyId: "x", hour: "2026-01-01T00:30:00Z", verifications: 1, rejected: 0 }], results: [] },
    });
    expect(usage.status).toBe(400);
    expect(usage.json.error.message).toMatch(/keys\.0\.hour: must be the start of an hour/);
  });

  it("ships middleware that lets valid keys through, passes deprecation on, and refuses the rest with the right status", async () => {
    const w = await world();
    const rekey = inProcessRekey();
    let clock = Date.now();
    const replica = replicaOf(rekey.fetch, { now: () => clock, maxStalenessMs: 60_000 });
    await replica.start();
    const guard = requireKey(replica, { scopes: ["read:orders"] });
    const server = http.createServer((req, res) =>
      guard(req as VerifiedRequest, res, () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ organizationId: (req as VerifiedRequest).rekey!.organizationId }));
      }),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;
    const get = (headers: Record<string, string>) => fetch(url, { headers });
    try {
      const ok = await get({ authorization: `Bearer ${w.active.secret}` });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ organizationId: w.org.id });
      expect(ok.headers.get("deprecation")).toBeNull();
      const old = await get({ "x-api-key": w.rotated.secret });
      expect(old.status).toBe(200);
      expect(old.headers.get("deprecation")).toMatch(/^@\d+$/);
      expect(new Date(old.headers.get("sunset")!).getTime()).toBeGreaterThan(Date.now());
      expect((await get({})).status).toBe(401);
      const revoked = await get({ authorization: `Bearer ${w.leaked.secret}` });
      expect(revoked.status).toBe(401);
      expect(await revoked.json()).toMatchObject({ error: { code: "revoked" } });
      expect((await get({ authorization: "Bearer rk_live_nonsense" })).status).toBe(401);
      const narrow = await makeKey(w.org.id, { scopes: ["read:invoices"] });
      await eventually(() => replica.verify(narrow.secret).valid);
      expect((await get({ authorization: `Bearer ${narrow.secret}` })).status).toBe(403);
      clock += 61_000 + 60_000; // past the window (the stream keeps answering, but by this clock too long ago)
      rekey.state.reachable = false;
      await new Promise((r) => setTimeout(r, 1_200));
      const down = await get({ authorization: `Bearer ${w.active.secret}` });
      expect(down.status).toBe(503);
      expect(down.headers.get("retry-after")).toBe("5");
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("keeps the change stream a day: the cron's purge drops older rows and leaves the rest", async () => {
    const org = await makeOrg();
    await makeKey(org.id);
    const prisma = await testPrisma();
    const now = new Date();
    await prisma.$executeRaw`INSERT INTO key_changes (hash, at) VALUES ('old-1', ${new Date(now.getTime() - 25 * HOUR)}), ('old-2', ${new Date(now.getTime() - 30 * HOUR)}), ('recent', ${new Date(now.getTime() - 23 * HOUR)})`;
    const before = await prisma.keyChange.count();
    const purged = await purgeExpired(now);
    expect(purged.keyChanges).toBe(2);
    expect(await prisma.keyChange.count()).toBe(before - 2);
    expect(await prisma.keyChange.count({ where: { hash: "recent" } })).toBe(1);
  });
});

describe("hashing secret versions (issue 20)", () => {
  const V1 = "test-secret-0123456789abcdef0123456789abcdef"; // vitest.config.ts's REKEY_SECRET: the install's version 1
  const V2 = "second-hashing-secret-abcdefghijklmnopqrstuvwxyz012345";
  afterEach(() => {
    delete process.env.REKEY_SECRETS;
    process.env.REKEY_SECRET = V1;
    reloadSecrets();
    clearVerifyCache();
  });

  it("a replica given both versions verifies keys on either; one without the old version learns a key when rekey re-hashes it; one without the current version refuses to start", async () => {
    const org = await makeOrg();
    const old = await makeKey(org.id, { at: new Date() });
    delete process.env.REKEY_SECRET;
    process.env.REKEY_SECRETS = `1:${V1},*2:${V2}`;
    reloadSecrets();
    clearVerifyCache();
    const fresh = await makeKey(org.id, { at: new Date() });
    const { fetch } = inProcessRekey();

    const both = replicaOf(fetch, { hashingSecret: undefined, hashingSecrets: `1:${V1},*2:${V2}` });
    await both.start();
    expect(both.verify(old.secret)).toMatchObject({ valid: true, keyId: old.key.id });
    expect(both.verify(fresh.secret)).toMatchObject({ valid: true, keyId: fresh.key.id });

    const newOnly = replicaOf(fetch, { hashingSecret: undefined, hashingSecrets: [{ version: 2, secret: V2 }] });
    await newOnly.start();
    expect(newOnly.verify(fresh.secret)).toMatchObject({ valid: true });
    expect(newOnly.verify(old.secret)).toEqual({ valid: false, code: "unknown" });
    expect(newOnly.status().missingHashVersions).toEqual([1]);
    // rekey sees the old key once (its own verify), re-hashes it under version 2, and the change stream carries that.
    expect(await verifyKey(old.secret, new Date())).toMatchObject({ valid: true });
    await flushUsage();
    await eventually(() => newOnly.verify(old.secret).valid);
    expect(newOnly.status().missingHashVersions).toEqual([]);
    await eventually(() => both.verify(old.secret).valid && both.status().missingHashVersions.length === 0);

    const errors: unknown[] = [];
    const oldOnly = replicaOf(fetch, { hashingSecret: V1, onError: (e) => errors.push(e) }); // REKEY_SECRET of before: version 1 only
    await expect(oldOnly.start()).rejects.toThrow(/hashing secret version 2, which this replica has no secret for/);
    expect(String(errors[0])).not.toContain(V2);
  });

  it("refuses a misconfigured list at construction, naming the problem and not the secret", () => {
    const { fetch } = inProcessRekey();
    expect(() => replicaOf(fetch, { hashingSecret: undefined, hashingSecrets: `1:${V1},2:${V2}` })).toThrow(/mark the current version/);
    expect(() => replicaOf(fetch, { hashingSecret: undefined, hashingSecrets: `*1:short` })).toThrow(/version 1 must be at least 32 characters/);
    try {
      replicaOf(fetch, { hashingSecret: undefined, hashingSecrets: `*1:${V1},*2:${V2}` });
    } catch (error) {
      expect(String(error)).toMatch(/more than one version is marked current/);
      expect(String(error)).not.toContain(V1);
    }
  });
});

describe("the company's own key format in the in-process verifier (issue 19)", () => {
  afterEach(() => setKeyFormatForTests());

  it("verifies keys of the format it is given, refuses rekey's own and noise as malformed, and by default keeps rekey's own", async () => {
    const format: KeyFormat = { prefixes: { live: "acme_live_", test: "acme_test_" }, randomBytes: 24, checksum: "crc32" };
    setKeyFormatForTests(format);
    const org = await makeOrg();
    const { secret } = await makeKey(org.id, { at: new Date() });
    const { fetch } = inProcessRekey();
    const replica = replicaOf(fetch, { keyFormat: format });
    await replica.start();
    expect(replica.verify(secret)).toEqual(await verifyKey(secret, new Date()));
    expect(replica.verify(secret)).toMatchObject({ valid: true });
    const last = secret.at(-1)!;
    for (const noise of [secret.slice(0, -1) + (last === "a" ? "b" : "a"), `${secret}a`, `rk_live_${secret.slice("acme_live_".length)}`]) {
      expect(replica.verify(noise)).toEqual({ valid: false, code: "malformed" });
    }
    // Only the prefixes given: the rest is rekey's default (32 bytes, CRC32), so a 24-byte key is not of it.
    const partial = replicaOf(fetch, { keyFormat: { prefixes: format.prefixes } });
    await partial.start();
    expect(partial.verify(secret)).toEqual({ valid: false, code: "malformed" });
    const defaults = replicaOf(fetch);
    await defaults.start();
    expect(defaults.verify(secret)).toEqual({ valid: false, code: "malformed" });
    // A format rekey's configuration would refuse is refused here too, by the same rules, before any key is read.
    expect(() => replicaOf(fetch, { keyFormat: { randomBytes: 8 } })).toThrow("keyFormat: randomBytes must be at least 16 (128 bits)");
    expect(() => replicaOf(fetch, { keyFormat: { prefixes: { live: "acme_", test: "acme_" } } })).toThrow(
      "keyFormat: prefixes.test must differ from the live prefix",
    );
    expect(() => replicaOf(fetch, { keyFormat: { checksum: "md5" as never } })).toThrow('keyFormat: checksum must be "crc32" or "none"');
  });
});
