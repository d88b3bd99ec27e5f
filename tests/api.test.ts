import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { call } from "./support/http";
import { POST as createOrg, GET as listOrgs } from "../app/api/v1/organizations/route";
import { POST as createKey } from "../app/api/v1/keys/route";
import { GET as getKey } from "../app/api/v1/keys/[id]/route";
import { POST as createRotation } from "../app/api/v1/keys/[id]/rotations/route";
import { POST as cancel } from "../app/api/v1/rotations/[id]/cancel/route";
import { POST as rollback } from "../app/api/v1/rotations/[id]/rollback/route";
import { POST as verify } from "../app/api/v1/keys/verify/route";
import { GET as openapi } from "../app/api/v1/openapi.json/route";
import { createManagementToken } from "../lib/auth/management-tokens";
import { flushUsage } from "../lib/keys/usage";
import { ADMIN } from "./support/fixtures";

useTestDatabase();

let orgCounter = 0;
async function newOrg() {
  const res = await call(createOrg, { body: { name: `API Org ${++orgCounter}`, contactEmails: ["dev@example.com"] } });
  expect(res.status).toBe(201);
  return res.json.id as string;
}
async function newKey(organizationId: string) {
  const res = await call(createKey, { body: { organizationId, environment: "live", name: "web", scopes: ["read:orders"] } });
  expect(res.status).toBe(201);
  return res.json as { id: string; key: string; prefix: string };
}

describe("organizations through the management API", () => {
  it("lists them by name with contacts, and only for a token holder", async () => {
    const id = await newOrg();
    const res = await call(listOrgs, { method: "GET" });
    expect(res.status).toBe(200);
    expect(res.json.organizations).toContainEqual(expect.objectContaining({ id, contactEmails: ["dev@example.com"], timeZone: "UTC", policyId: null }));
    expect((await call(listOrgs, { method: "GET", token: null })).status).toBe(401);
  });
});

describe("management API authentication", () => {
  it("refuses a request without a token, with an unknown token, and with noise", async () => {
    for (const token of [null, `rkm_mgmt_${"a".repeat(49)}`, "nonsense"]) {
      const res = await call(createOrg, { body: { name: "X" }, token });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("unauthorized");
    }
    const prisma = await testPrisma();
    expect(await prisma.organization.count({ where: { name: "X" } })).toBe(0);
  });

  it("accepts a management token created by an admin, and records it as the actor", async () => {
    const { token, secret } = await createManagementToken("ci pipeline", { actor: ADMIN, now: new Date() });
    const res = await call(createOrg, { body: { name: "Token Org" }, token: secret });
    expect(res.status).toBe(201);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.findFirst({ where: { action: "organization.created", organizationId: res.json.id } })).toMatchObject({
      actor: `token:${token.id}`,
    });
  });
});

describe("management API", () => {
  it("says which field is wrong, and changes nothing", async () => {
    const bad = await call(createOrg, { body: { name: "Bad", contactEmails: ["not-an-email"] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "invalid_request", field: "contactEmails.0" });
    expect((await call(createOrg, { body: "{not json" })).json.error.message).toMatch(/JSON/);
    const orgId = await newOrg();
    const badKey = await call(createKey, { body: { organizationId: orgId, environment: "prod", name: "x" } });
    expect(badKey.status).toBe(400);
    expect(badKey.json.error.message).toMatch(/^environment: must be live or test/);
    const prisma = await testPrisma();
    expect(await prisma.organization.count({ where: { name: "Bad" } })).toBe(0);
    expect(await prisma.apiKey.count({ where: { organizationId: orgId } })).toBe(0);
  });

  it("answers 409 for a duplicate organization and 404 for an unknown one", async () => {
    await call(createOrg, { body: { name: "Twice" } });
    expect((await call(createOrg, { body: { name: "Twice" } })).status).toBe(409);
    const res = await call(createKey, { body: { organizationId: "00000000-0000-4000-8000-000000000000", environment: "live", name: "x" } });
    expect(res.status).toBe(404);
  });

  it("issues a key shown once, then shows its state without it", async () => {
    const orgId = await newOrg();
    const created = await newKey(orgId);
    expect(created.key).toMatch(/^rk_live_/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const shown = await call(getKey, { method: "GET", params: { id: created.id } });
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ id: created.id, status: "active", prefix: created.prefix, openRotation: null });
    expect(JSON.stringify(shown.json)).not.toContain(created.key);
    expect(shown.json.hash).toBeUndefined();
    expect((await call(getKey, { method: "GET", params: { id: "nope" } })).status).toBe(404);
  });

  it("rotates with the successor in the response, refuses a second rotation, and rolls back", async () => {
    const orgId = await newOrg();
    const { id, key } = await newKey(orgId);
    const rotated = await call(createRotation, { params: { id }, body: { kind: "manual", gracePeriodHours: 24, deliver: "response", reason: "automation" } });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({ state: "grace", gracePeriodHours: 24, kind: "manual" });
    const successorKey = rotated.json.successorKey as string;
    expect(successorKey).toMatch(/^rk_live_/);

    const again = await call(createRotation, { params: { id }, body: { kind: "manual" } });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("conflict");

    const state = await call(getKey, { method: "GET", params: { id } });
    expect(state.json).toMatchObject({
      status: "expiring",
      openRotation: { id: rotated.json.id, state: "grace", successor: { prefix: successorKey.slice(0, 16) } },
    });

    const old = await call(verify, { body: { key }, token: null });
    expect(old.json).toMatchObject({ valid: true, deprecated: true, successorPrefix: successorKey.slice(0, 16) });
    expect(old.headers.get("sunset")).toBe(new Date(rotated.json.graceEndsAt).toUTCString());
    expect(old.headers.get("deprecation")).toBe(`@${Math.floor(new Date(rotated.json.startedAt).getTime() / 1000)}`);

    expect((await call(cancel, { params: { id: rotated.json.id }, body: {} })).status).toBe(409);
    const back = await call(rollback, { params: { id: rotated.json.id }, body: { reason: "client broke" } });
    expect(back.status).toBe(200);
    expect(back.json.state).toBe("rolled_back");
    expect((await call(verify, { body: { key }, token: null })).json).toMatchObject({ valid: true, deprecated: false });
    expect((await call(verify, { body: { key: successorKey }, token: null })).json).toEqual({ valid: false, code: "revoked" });
  });

  it("validates rotation requests", async () => {
    const orgId = await newOrg();
    const { id } = await newKey(orgId);
    const noTime = await call(createRotation, { params: { id }, body: { kind: "scheduled" } });
    expect(noTime.json.error).toMatchObject({ code: "invalid_request", field: "scheduledAt" });
    const noReason = await call(createRotation, { params: { id }, body: { kind: "emergency", gracePeriodHours: 0 } });
    expect(noReason.json.error.field).toBe("reason");
    const scheduled = await call(createRotation, { params: { id }, body: { kind: "scheduled", scheduledAt: new Date(Date.now() + 86_400_000).toISOString() } });
    expect(scheduled.status).toBe(201);
    const cancelled = await call(cancel, { params: { id: scheduled.json.id }, body: { reason: "moved" } });
    expect(cancelled.json.state).toBe("cancelled");
    expect((await call(rollback, { params: { id: "missing" }, body: {} })).status).toBe(404);
  });
});

describe("verification API", () => {
  it("answers valid, unknown, malformed and revoked, from the body or a bearer header", async () => {
    const orgId = await newOrg();
    const { id, key } = await newKey(orgId);
    expect((await call(verify, { body: { key }, token: null })).json).toMatchObject({
      valid: true,
      keyId: id,
      organizationId: orgId,
      scopes: ["read:orders"],
      rateLimit: 1000,
      environment: "live",
      deprecated: false,
    });
    expect((await call(verify, { token: key })).json).toMatchObject({ valid: true, keyId: id });
    expect((await call(verify, { body: { key: key.slice(0, -1) + (key.endsWith("A") ? "B" : "A") }, token: null })).json).toEqual({
      valid: false,
      code: "malformed",
    });
    const { secret: unknown } = await import("../lib/keys/format").then((m) => m.generateApiKey("live"));
    expect((await call(verify, { body: { key: unknown }, token: null })).json).toEqual({ valid: false, code: "unknown" });
    expect((await call(verify, { body: {}, token: null })).status).toBe(400);

    await call(createRotation, { params: { id }, body: { kind: "emergency", gracePeriodHours: 0, reason: "leaked" } });
    expect((await call(verify, { body: { key }, token: null })).json).toEqual({ valid: false, code: "revoked" });
  });

  it("counts verifications per key and hour in batches, with last use and rejected attempts", async () => {
    const orgId = await newOrg();
    const a = await newKey(orgId);
    const b = await newKey(orgId);
    for (let i = 0; i < 5; i++) await call(verify, { body: { key: a.key }, token: null });
    await call(createRotation, { params: { id: b.id }, body: { kind: "emergency", gracePeriodHours: 0, reason: "leaked" } });
    for (let i = 0; i < 3; i++) await call(verify, { body: { key: b.key }, token: null });
    await call(verify, { body: { key: "garbage" }, token: null });
    const prisma = await testPrisma();
    expect(await prisma.keyUsageHourly.count({ where: { keyId: a.id } })).toBe(0); // not yet flushed: batched
    await flushUsage();
    const usageA = await prisma.keyUsageHourly.findMany({ where: { keyId: a.id } });
    expect(usageA.reduce((n, u) => n + u.verifications, 0)).toBe(5);
    const usageB = await prisma.keyUsageHourly.findMany({ where: { keyId: b.id } });
    expect(usageB.reduce((n, u) => n + u.rejected, 0)).toBe(3);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: a.id } })).lastUsedAt).not.toBeNull();
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: b.id } })).lastUsedAt).toBeNull();
    const counts = await prisma.verificationCount.findMany();
    const byResult = Object.fromEntries(counts.map((c) => [c.result, c.count]));
    expect(byResult.revoked).toBeGreaterThanOrEqual(3);
    expect(byResult.malformed).toBeGreaterThanOrEqual(1);
  });
});

describe("OpenAPI", () => {
  it("documents every route", async () => {
    const res = await call(openapi, { method: "GET", token: null });
    expect(res.json.openapi).toBe("3.1.0");
    // Every route handler under app/api/v1 (but the document itself), found on disk, so a new route cannot go undocumented.
    const { readdirSync } = await import("node:fs");
    const routes = (readdirSync("app/api/v1", { recursive: true }) as string[])
      .filter((f) => f.endsWith("route.ts") && !f.startsWith("openapi.json"))
      .map((f) => `/api/v1/${f.replace(/\/?route\.ts$/, "").replace(/\[(\w+)\]/g, "{$1}")}`)
      .sort();
    expect(routes).toContain("/api/v1/verifier/changes");
    expect(Object.keys(res.json.paths).sort()).toEqual(routes);
    expect(res.json.paths["/api/v1/keys"].post.requestBody.content["application/json"].schema.required).toContain("organizationId");
  });
});
