import http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { ADMIN, T0, makeKey, makeOrg } from "./support/fixtures";
import { call } from "./support/http";
import { POST as githubRoute } from "../app/api/v1/leaks/github/route";
import { POST as leaksRoute } from "../app/api/v1/leaks/route";
import { clearGithubKeyCache } from "../lib/leaks/github";
import { reportLeakedKeys } from "../lib/leaks/report";
import { verifyKey } from "../lib/keys/verify";
import { createRotation } from "../lib/rotations/mutations";
import { createWebhookEndpoint } from "../lib/webhooks/mutations";
import { assignPolicy, createPolicy } from "../lib/policies/mutations";

useTestDatabase();

// A P-256 key pair made here, published as GitHub publishes its keys (GET /meta/public_keys/secret_scanning).
const KEY_ID = "f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d";
const github = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const stranger = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
let keysServer: http.Server;
let keyFetches = 0;

beforeAll(async () => {
  keysServer = http.createServer((_req, res) => {
    keyFetches++;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: github.publicKey.export({ type: "spki", format: "pem" }), is_current: true }] }));
  });
  await new Promise<void>((r) => keysServer.listen(0, "127.0.0.1", () => r()));
  process.env.REKEY_GITHUB_KEYS_URL = `http://127.0.0.1:${(keysServer.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
  process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE = "1";
});
afterAll(async () => {
  delete process.env.REKEY_GITHUB_KEYS_URL;
  delete process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE;
  await new Promise((r) => keysServer.close(r));
});
beforeEach(async () => {
  await resetTestData();
  clearGithubKeyCache();
});

/** Signed exactly as GitHub signs: ECDSA P-256 SHA-256 over the raw body, DER, base64. */
const signed = (raw: string, key = github.privateKey) => sign("sha256", Buffer.from(raw), { key, dsaEncoding: "der" }).toString("base64");
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** GitHub's documented payload, with our key in it and the docs' own example token beside it. */
function payload(token: string) {
  return JSON.stringify([
    {
      token,
      type: "rekey_api_key",
      url: "https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/foo/bar.txt",
      source: "content",
    },
    {
      token: "NMIfyYncKcRALEXAMPLE",
      type: "rekey_api_key",
      url: "https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/foo/bar.txt",
      source: "content",
    },
  ]);
}

const post = (raw: string, headers: Record<string, string>) => call(githubRoute, { body: raw, token: null, headers });

describe("GitHub secret scanning: POST /api/v1/leaks/github", () => {
  it("revokes a reported key and its successor at once, tells the customer, alerts, and answers GitHub's feedback format", async () => {
    const prisma = await testPrisma();
    const org = await makeOrg();
    await createWebhookEndpoint({ url: "http://127.0.0.1:9/hooks", events: ["key.leaked"] }, { actor: ADMIN, now: T0 });
    // On the real clock: the route acts at the request's time.
    const now = new Date();
    const { key, secret } = await makeKey(org.id, { at: now });
    const { successorSecret } = await createRotation({ keyId: key.id, kind: "manual", deliver: "response" }, { actor: ADMIN, now });
    expect((await verifyKey(secret, now)).valid).toBe(true);
    const raw = payload(secret);
    const res = await post(raw, { "Github-Public-Key-Identifier": KEY_ID, "Github-Public-Key-Signature": signed(raw) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      { token_hash: sha256(secret), token_type: "rekey_api_key", label: "true_positive" },
      { token_hash: sha256("NMIfyYncKcRALEXAMPLE"), token_type: "rekey_api_key", label: "false_positive" },
    ]);
    // At once: the leaked key and the successor it may have handed out.
    expect(await verifyKey(secret, new Date())).toMatchObject({ valid: false });
    expect(await verifyKey(successorSecret!, new Date())).toMatchObject({ valid: false });
    const leaked = await prisma.auditEvent.findFirstOrThrow({ where: { action: "key.leaked" } });
    expect(leaked).toMatchObject({ actor: "system:github", keyId: key.id, keyFingerprint: key.prefix });
    expect(leaked.after).toMatchObject({ reporter: "github", source: "content", url: expect.stringContaining("octocat/Hello-World"), revoked: true });
    expect(await prisma.alert.findFirstOrThrow({ where: { kind: "key_leaked" } })).toMatchObject({ severity: "critical", keyId: key.id });
    expect((await prisma.notification.findMany({ where: { keyId: key.id, kind: "emergency_rotation" } })).length).toBe(2);
    expect((await prisma.webhookDelivery.findMany()).map((d) => d.eventType)).toEqual(["key.leaked"]);
    // The token is nowhere in what was written.
    for (const rows of [
      await prisma.auditEvent.findMany(),
      await prisma.notification.findMany(),
      await prisma.alert.findMany(),
      await prisma.webhookDelivery.findMany(),
    ]) {
      expect(JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(secret.slice(8));
    }
  });

  it("a bad signature, another key's signature, an unknown key id or a changed body is a 401 and changes nothing", async () => {
    const prisma = await testPrisma();
    const org = await makeOrg();
    const { secret } = await makeKey(org.id, { at: new Date() });
    const raw = payload(secret);
    const before = await prisma.auditEvent.count();
    for (const headers of <Record<string, string>[]>[
      {},
      { "Github-Public-Key-Identifier": KEY_ID, "Github-Public-Key-Signature": signed(raw, stranger.privateKey) },
      { "Github-Public-Key-Identifier": "0".repeat(64), "Github-Public-Key-Signature": signed(raw) },
      { "Github-Public-Key-Identifier": KEY_ID, "Github-Public-Key-Signature": "not base64 at all!" },
    ]) {
      const res = await post(raw, headers);
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("unauthorized");
    }
    const changed = raw.replace("foo/bar.txt", "foo/baz.txt");
    expect((await post(changed, { "Github-Public-Key-Identifier": KEY_ID, "Github-Public-Key-Signature": signed(raw) })).status).toBe(401);
    expect(await prisma.auditEvent.count()).toBe(before);
    expect((await verifyKey(secret, new Date())).valid).toBe(true);
  });

  it("caches GitHub's keys, and fetches them again for a key id it does not know only after a minute", async () => {
    const raw = payload("NMIfyYncKcRALEXAMPLE");
    const fetches = keyFetches;
    for (let i = 0; i < 3; i++)
      expect((await post(raw, { "Github-Public-Key-Identifier": KEY_ID, "Github-Public-Key-Signature": signed(raw) })).status).toBe(200);
    expect((await post(raw, { "Github-Public-Key-Identifier": "1".repeat(64), "Github-Public-Key-Signature": signed(raw) })).status).toBe(401);
    expect(keyFetches - fetches).toBe(1);
  });
});

describe("leak reports from other scanners and from people", () => {
  it("POST /api/v1/leaks (management token) revokes ours, says so per token by its hash, and leaves a revoked key revoked", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const res = await call(leaksRoute, {
      body: { tokens: [{ token: secret, url: "https://pastebin.example/abc", source: "paste" }, { token: "rk_live_notarealkey" }] },
    });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([
      { tokenHash: sha256(secret), label: "true_positive", keyId: key.id, prefix: key.prefix, organizationId: org.id, action: "revoked" },
      { tokenHash: sha256("rk_live_notarealkey"), label: "false_positive" },
    ]);
    expect(JSON.stringify(res.json)).not.toContain(secret);
    const again = await call(leaksRoute, { body: { tokens: [{ token: secret }] } });
    expect(again.json.results[0]).toMatchObject({ label: "true_positive", action: "already_revoked" });
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(1);
    expect(await prisma.alert.count({ where: { kind: "key_leaked" } })).toBe(1);
    expect((await call(leaksRoute, { body: { tokens: [] } })).status).toBe(400);
    expect((await call(leaksRoute, { body: { tokens: [{ token: secret }] }, token: null })).status).toBe(401);
  });

  it("a policy's leak grace keeps the reported key working for its hours (the family still revoked at once); 0 is the default", async () => {
    const org = await makeOrg();
    const policy = await createPolicy(
      {
        name: "Soft landing",
        maxAgeDays: 90,
        gracePeriodHours: 72,
        emergencyGraceHours: 4,
        leakGraceHours: 2,
        noticeDays: 7,
        maxPostponements: 2,
        postponeDays: 30,
        waitForSuccessorUse: false,
        customersManageKeys: false,
        emergencyOnReuse: false,
      },
      { actor: ADMIN, now: T0 },
    );
    await assignPolicy({ organizationId: org.id, policyId: policy.id }, { actor: ADMIN, now: T0 });
    const now = new Date();
    const { key, secret } = await makeKey(org.id, { at: now });
    const { successorSecret } = await createRotation({ keyId: key.id, kind: "manual", deliver: "response" }, { actor: ADMIN, now });
    await reportLeakedKeys([{ token: secret }], "api", { actor: ADMIN, now });
    expect((await verifyKey(secret, new Date(now.getTime() + 3_600_000))).valid).toBe(true);
    expect((await verifyKey(secret, new Date(now.getTime() + 2 * 3_600_000 + 1000))).valid).toBe(false);
    expect((await verifyKey(successorSecret!, now)).valid).toBe(false);
    const prisma = await testPrisma();
    expect(await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id, kind: "emergency" } })).toMatchObject({ gracePeriodHours: 2, state: "grace" });
    await expect(
      createPolicy(
        {
          name: "Bad",
          maxAgeDays: 90,
          gracePeriodHours: 72,
          emergencyGraceHours: 4,
          leakGraceHours: 5,
          noticeDays: 7,
          maxPostponements: 2,
          postponeDays: 30,
          waitForSuccessorUse: false,
          customersManageKeys: false,
          emergencyOnReuse: false,
        },
        { actor: ADMIN, now: T0 },
      ),
    ).rejects.toThrow(/^leakGraceHours: must not be longer than the emergency grace/);
  });

  it("a customer reporting another organization's key gets it revoked but learns nothing about it", async () => {
    const a = await makeOrg("A");
    const b = await makeOrg("B");
    const { secret } = await makeKey(b.id);
    const [outcome] = await reportLeakedKeys([{ token: secret }], "portal", { actor: "user:someone-at-a", now: T0, scope: { organizationId: a.id } });
    expect(outcome).toEqual({ tokenHash: sha256(secret), label: "true_positive" });
    expect((await verifyKey(secret, new Date())).valid).toBe(false);
  });
});
