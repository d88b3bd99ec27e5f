import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { call, useFastVerifyServer } from "./support/http";
import { POST as createOrg, GET as listOrgs } from "../app/api/v1/organizations/route";
import { DELETE as deleteOrg, GET as getOrg, PATCH as updateOrg } from "../app/api/v1/organizations/[id]/route";
import { GET as listKeys, POST as createKey } from "../app/api/v1/keys/route";
import { GET as getKey, PATCH as updateKey } from "../app/api/v1/keys/[id]/route";
import { POST as revokeKey } from "../app/api/v1/keys/[id]/revoke/route";
import { GET as listRotations, POST as createRotation } from "../app/api/v1/keys/[id]/rotations/route";
import { POST as verify } from "../app/api/v1/keys/verify/route";
import { createManagementToken } from "../lib/auth/management-tokens";
import { getVerificationRecords } from "../lib/keys/records";
import { purgeExpired } from "../lib/cron/retention";
import { ADMIN } from "./support/fixtures";

useTestDatabase();

const fastPath = useFastVerifyServer();

/** The route handler's and the fast path's answer for a key: they must be the same. */
async function verifyBoth(key: string) {
  const route = await call(verify, { body: { key }, token: null });
  const fast = await fetch(`${fastPath()}/api/v1/keys/verify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ key }),
  });
  const fastBody = await fast.json();
  expect(fastBody).toEqual(route.json);
  return route.json;
}

/** JSON of rows that hold bigints (audit seq). */
const text = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? String(v) : v));

let n = 0;
async function newOrg(extra: Record<string, unknown> = {}) {
  const res = await call(createOrg, { body: { name: `Mgmt Org ${++n} ${Math.random()}`, contactEmails: ["ops@example.com"], ...extra } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; externalId: string | null; metadata: Record<string, unknown> };
}
async function newKey(organizationId: string, extra: Record<string, unknown> = {}) {
  const res = await call(createKey, { body: { organizationId, environment: "live", name: "backend", scopes: ["read:orders"], ...extra } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json as { id: string; key: string; prefix: string; externalId: string | null };
}

/** Everything that a refused request must leave as it was. */
async function state() {
  const prisma = await testPrisma();
  const [row] = await prisma.$queryRawUnsafe<{ d: string }[]>(`select json_build_array(
    (select md5(coalesce(string_agg(id || name || coalesce("externalId", '') || metadata::text || coalesce("deletedAt"::text, ''), ',' order by id), '')) from organizations),
    (select md5(coalesce(string_agg(id || status::text || name || coalesce("externalId", '') || metadata::text || "rateLimit" || array_to_string(scopes, ' '), ',' order by id), '')) from api_keys),
    (select count(*) from audit_events), (select count(*) from rotations))::text as d`);
  return row.d;
}

describe("external ids and metadata", () => {
  it("are set on create, returned by verify on both paths, and follow an update at once", async () => {
    const org = await newOrg({ externalId: "cus_8f2a", metadata: { plan: "enterprise", seats: 250 } });
    expect(org).toMatchObject({ externalId: "cus_8f2a", metadata: { plan: "enterprise", seats: 250 } });
    const key = await newKey(org.id, { externalId: "key_legacy_42", metadata: { service: "billing" } });
    expect(key.externalId).toBe("key_legacy_42");
    expect(await verifyBoth(key.key)).toMatchObject({
      valid: true,
      externalId: "key_legacy_42",
      metadata: { service: "billing" },
      organizationExternalId: "cus_8f2a",
      organizationMetadata: { plan: "enterprise", seats: 250 },
    });
    // The caches forget the record when the organization changes (trigger), not only when the key does.
    expect((await call(updateOrg, { method: "PATCH", params: { id: org.id }, body: { externalId: "cus_9000", metadata: { plan: "free" } } })).status).toBe(200);
    expect(await verifyBoth(key.key)).toMatchObject({ organizationExternalId: "cus_9000", organizationMetadata: { plan: "free" } });
    expect((await call(updateKey, { method: "PATCH", params: { id: key.id }, body: { externalId: null, metadata: { service: "search" } } })).status).toBe(200);
    expect(await verifyBoth(key.key)).toMatchObject({ externalId: null, metadata: { service: "search" } });
    // The in-process verifier's records carry the same, and no secret but the keyed hash they always had.
    const prisma = await testPrisma();
    const { hash } = await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id }, select: { hash: true } });
    const [record] = await getVerificationRecords([hash]);
    expect(record).toMatchObject({
      externalId: null,
      metadata: { service: "search" },
      organizationExternalId: "cus_9000",
      organizationMetadata: { plan: "free" },
    });
    expect(JSON.stringify(record)).not.toContain(key.key);
  });

  it("a key without them answers null and {}", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    expect(await verifyBoth(key.key)).toMatchObject({ externalId: null, metadata: {}, organizationExternalId: null, organizationMetadata: {} });
  });

  it("refuses metadata that is not an object or is over 4 KB, and a bad external id, with a 400 naming the field, changing nothing", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    const before = await state();
    const bad: [unknown, string][] = [
      [{ metadata: [1, 2] }, "metadata"],
      [{ metadata: "x" }, "metadata"],
      [{ metadata: null }, "metadata"],
      [{ metadata: { blob: "x".repeat(4100) } }, "metadata"],
      [{ metadata: { "a\u0000b": 1 } }, "metadata"],
      [{ externalId: "" }, "externalId"],
      [{ externalId: "has space" }, "externalId"],
      [{ externalId: "x".repeat(256) }, "externalId"],
      [{ status: "revoked" }, "status"],
      [{}, "name"],
    ];
    for (const [body, field] of bad) {
      const res = await call(updateKey, { method: "PATCH", params: { id: key.id }, body });
      expect([JSON.stringify(body).slice(0, 60), res.status, res.json.error.field]).toEqual([JSON.stringify(body).slice(0, 60), 400, field]);
      expect(res.json.error.message).toMatch(new RegExp(`^${field}: `));
      if (field === "metadata" || field === "externalId") {
        expect((await call(createOrg, { body: { name: `Bad ${Math.random()}`, ...(body as object) } })).json.error.field).toBe(field);
        expect((await call(createKey, { body: { organizationId: org.id, environment: "live", name: "bad", ...(body as object) } })).json.error.field).toBe(
          field,
        );
      }
    }
    expect(await state()).toBe(before);
    // 4 KB exactly is allowed: the limit is inclusive.
    const filler = "y".repeat(4096 - JSON.stringify({ blob: "" }).length);
    expect((await call(updateKey, { method: "PATCH", params: { id: key.id }, body: { metadata: { blob: filler } } })).status).toBe(200);
  });

  it("an external id is unique per table: a second holder is a 409, and nothing changes", async () => {
    const org = await newOrg({ externalId: `cus_${Math.random()}` });
    const other = await newOrg();
    const key = await newKey(org.id, { externalId: "key_unique_1" });
    const before = await state();
    const dupOrg = await call(updateOrg, { method: "PATCH", params: { id: other.id }, body: { externalId: org.externalId } });
    expect(dupOrg.status).toBe(409);
    expect(dupOrg.json.error.message).toContain("externalId");
    expect((await call(createKey, { body: { organizationId: other.id, environment: "live", name: "x", externalId: "key_unique_1" } })).status).toBe(409);
    expect(await state()).toBe(before);
    // The same value in the other table is fine: keys and organizations are separate namespaces.
    expect((await call(updateOrg, { method: "PATCH", params: { id: other.id }, body: { externalId: "key_unique_1" } })).status).toBe(200);
    expect(key.id).toBeTruthy();
  });
});

describe("listing and searching keys", () => {
  it("pages through every match once, in a stable order, with an opaque cursor", async () => {
    const org = await newOrg();
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add((await newKey(org.id, { name: i % 2 ? `Billing ${i}` : `Search ${i}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(listKeys, {
        method: "GET",
        path: `/api/v1/keys?organizationId=${org.id}&limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      });
      expect(res.status).toBe(200);
      expect(res.json.keys.length).toBeLessThanOrEqual(3);
      for (const k of res.json.keys) {
        expect(k).not.toHaveProperty("hash");
        seen.push(k.id);
      }
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].sort());
    const names = await call(listKeys, { method: "GET", path: `/api/v1/keys?organizationId=${org.id}&name=billing` });
    expect(names.json.keys.map((k: { name: string }) => k.name).sort()).toEqual(["Billing 1", "Billing 3", "Billing 5"]);
  });

  it("filters by external id, status and prefix; LIKE wildcards are literal", async () => {
    const org = await newOrg();
    const a = await newKey(org.id, { externalId: `ext_${Math.random()}` });
    const b = await newKey(org.id, { name: "100%_sure" });
    const byExt = await call(listKeys, { method: "GET", path: `/api/v1/keys?externalId=${encodeURIComponent(a.externalId!)}` });
    expect(byExt.json.keys.map((k: { id: string }) => k.id)).toEqual([a.id]);
    const byPrefix = await call(listKeys, { method: "GET", path: `/api/v1/keys?prefix=${encodeURIComponent(b.prefix)}` });
    expect(byPrefix.json.keys.map((k: { id: string }) => k.id)).toEqual([b.id]);
    expect(
      (await call(listKeys, { method: "GET", path: `/api/v1/keys?organizationId=${org.id}&name=%25` })).json.keys.map((k: { id: string }) => k.id),
    ).toEqual([b.id]);
    expect((await call(listKeys, { method: "GET", path: `/api/v1/keys?organizationId=${org.id}&prefix=_` })).json.keys).toEqual([]);
    await call(revokeKey, { params: { id: a.id }, body: { reason: "test" } });
    const revoked = await call(listKeys, { method: "GET", path: `/api/v1/keys?organizationId=${org.id}&status=revoked` });
    expect(revoked.json.keys.map((k: { id: string }) => k.id)).toEqual([a.id]);
  });

  it("refuses a bad limit, status, cursor or unknown filter with a 400 naming it", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=201", "limit"],
      ["limit=x", "limit"],
      ["status=gone", "status"],
      ["cursor=nope", "cursor"],
      ["sort=name", "sort"],
      ["name=a%00b", "name"],
    ]) {
      const res = await call(listKeys, { method: "GET", path: `/api/v1/keys?${query}` });
      expect([query, res.status, res.json.error.field]).toEqual([query, 400, field]);
    }
  });
});

describe("updating a key", () => {
  it("changes name, scopes, rate limit, expiry and metadata, audited before and after; verify follows", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const res = await call(updateKey, {
      method: "PATCH",
      params: { id: key.id },
      body: { name: "renamed", scopes: ["write:orders"], rateLimit: 42, expiresAt, metadata: { a: 1 } },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ name: "renamed", scopes: ["write:orders"], rateLimit: 42, expiresAt, metadata: { a: 1 } });
    expect(await verifyBoth(key.key)).toMatchObject({ scopes: ["write:orders"], rateLimit: 42, metadata: { a: 1 } });
    const prisma = await testPrisma();
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "key.updated", keyId: key.id } });
    expect(event).toMatchObject({ before: { name: "backend", rateLimit: 1000 }, after: { name: "renamed", rateLimit: 42 } });
    expect(text(event)).not.toContain(key.key);
  });

  it("is 404 for an unknown key, 409 for a revoked one, 400 for an expiry in the past", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    expect((await call(updateKey, { method: "PATCH", params: { id: "00000000-0000-4000-8000-000000000000" }, body: { name: "x" } })).status).toBe(404);
    expect((await call(updateKey, { method: "PATCH", params: { id: key.id }, body: { expiresAt: "2020-01-01T00:00:00Z" } })).json.error.field).toBe(
      "expiresAt",
    );
    await call(revokeKey, { params: { id: key.id }, body: { reason: "done" } });
    expect((await call(updateKey, { method: "PATCH", params: { id: key.id }, body: { name: "x" } })).status).toBe(409);
  });
});

describe("revoking a key", () => {
  it("is immediate and family-aware: successors minted from it are revoked with it, in one audited transaction", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    const rotated = await call(createRotation, { params: { id: key.id }, body: { kind: "manual", deliver: "response", gracePeriodHours: 24 } });
    expect(rotated.status).toBe(201);
    const successorKey = rotated.json.successorKey as string;
    const res = await call(revokeKey, { params: { id: key.id }, body: { reason: "found in a public repository" } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: key.id, status: "revoked", familyRevoked: [rotated.json.successorId] });
    expect(await verifyBoth(key.key)).toEqual({ valid: false, code: "revoked" });
    expect(await verifyBoth(successorKey)).toEqual({ valid: false, code: "revoked" });
    const prisma = await testPrisma();
    const events = await prisma.auditEvent.findMany({
      where: { organizationId: org.id, action: { in: ["key.revoked", "rotation.rolled_back"] } },
      orderBy: { seq: "asc" },
    });
    expect(events.map((e) => e.action).sort()).toEqual(["key.revoked", "key.revoked", "rotation.rolled_back"]);
    expect(text(events)).not.toContain(successorKey);
    const rotations = await call(listRotations, { method: "GET", params: { id: key.id } });
    expect(rotations.json.rotations).toEqual([expect.objectContaining({ id: rotated.json.id, state: "rolled_back" })]);
    expect((await call(revokeKey, { params: { id: key.id }, body: { reason: "again" } })).status).toBe(409);
  });

  it("needs a reason", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    const res = await call(revokeKey, { params: { id: key.id }, body: {} });
    expect([res.status, res.json.error.field]).toEqual([400, "reason"]);
    expect((await call(getKey, { method: "GET", params: { id: key.id } })).json.status).toBe("active");
  });

  it("refuses text that is not valid Unicode (a lone surrogate, which JSON can carry and UTF-8 cannot) with a 400, changing nothing", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    const before = await state();
    const revoke = await call(revokeKey, { params: { id: key.id }, body: { reason: "leaked \ud800" } });
    expect([revoke.status, revoke.json.error.field, revoke.json.error.message]).toEqual([
      400,
      "reason",
      "reason: must be valid Unicode text (it holds half of a surrogate pair, such as \\ud800)",
    ]);
    const patch = await call(updateKey, { method: "PATCH", params: { id: key.id }, body: { metadata: { "team\udc00": "billing" } } });
    expect([patch.status, patch.json.error.field]).toEqual([400, "metadata.team\udc00"]);
    // A pair whole is fine: an emoji in a reason.
    expect(await state()).toBe(before);
    expect((await call(revokeKey, { params: { id: key.id }, body: { reason: "leaked on a forum 🔑" } })).status).toBe(200);
  });
});

describe("organizations", () => {
  it("get, update (audited) and list", async () => {
    const org = await newOrg();
    await newKey(org.id);
    const got = await call(getOrg, { method: "GET", params: { id: org.id } });
    expect(got.json).toMatchObject({ id: org.id, keysByStatus: { active: 1 } });
    const res = await call(updateOrg, {
      method: "PATCH",
      params: { id: org.id },
      body: { contactEmails: ["a@example.com", "b@example.com"], timeZone: "Europe/Berlin" },
    });
    expect(res.json).toMatchObject({ contactEmails: ["a@example.com", "b@example.com"], timeZone: "Europe/Berlin" });
    expect((await call(updateOrg, { method: "PATCH", params: { id: org.id }, body: { contactEmails: [] } })).json.error.field).toBe("contactEmails");
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.findFirst({ where: { action: "organization.updated", organizationId: org.id } })).toMatchObject({
      after: { timeZone: "Europe/Berlin" },
    });
  });

  it("delete refuses (409) while keys are in use, and with ?revokeKeys=true revokes them and their families in one transaction", async () => {
    const org = await newOrg({ externalId: `cus_del_${Math.random()}` });
    const a = await newKey(org.id);
    const b = await newKey(org.id);
    const rotated = await call(createRotation, { params: { id: b.id }, body: { kind: "manual", deliver: "response", gracePeriodHours: 24 } });
    const before = await state();
    const refused = await call(deleteOrg, { method: "DELETE", params: { id: org.id } });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain("revokeKeys=true");
    expect(await state()).toBe(before);
    expect((await call(deleteOrg, { method: "DELETE", path: "/?revokeKeys=yes", params: { id: org.id } })).json.error.field).toBe("revokeKeys");
    const res = await call(deleteOrg, { method: "DELETE", path: "/?revokeKeys=true", params: { id: org.id } });
    expect(res.status).toBe(200);
    expect(new Set(res.json.keysRevoked)).toEqual(new Set([a.id, b.id, rotated.json.successorId]));
    for (const k of [a.key, b.key, rotated.json.successorKey]) expect((await verifyBoth(k)).valid).toBe(false);
    expect((await call(getOrg, { method: "GET", params: { id: org.id } })).status).toBe(404);
    expect((await call(listOrgs, { method: "GET" })).json.organizations.map((o: { id: string }) => o.id)).not.toContain(org.id);
    // A deleted organization gets no new keys; its external id is free again.
    expect((await call(createKey, { body: { organizationId: org.id, environment: "live", name: "late" } })).status).toBe(404);
    expect((await call(createOrg, { body: { name: `Reuse ${Math.random()}`, externalId: org.externalId } })).status).toBe(201);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { action: "organization.deleted", organizationId: org.id } })).toBe(1);
  });

  it("a key issued while the organization is being deleted is either revoked with it or refused: none stays in use", async () => {
    const org = await newOrg();
    await newKey(org.id);
    const issue = () => call(createKey, { body: { organizationId: org.id, environment: "live", name: "racing" } });
    const results = await Promise.all([
      issue(),
      issue(),
      call(deleteOrg, { method: "DELETE", path: "/?revokeKeys=true", params: { id: org.id } }),
      issue(),
      issue(),
    ]);
    expect(results[2].status).toBe(200);
    for (const r of results) expect([200, 201, 404]).toContain(r.status);
    const prisma = await testPrisma();
    expect(await prisma.apiKey.count({ where: { organizationId: org.id, status: { in: ["active", "expiring"] } } })).toBe(0);
  });

  it("an organization without keys in use is deleted without the flag", async () => {
    const org = await newOrg();
    expect((await call(deleteOrg, { method: "DELETE", params: { id: org.id } })).json).toMatchObject({ deleted: true, keysRevoked: [] });
    expect((await call(deleteOrg, { method: "DELETE", params: { id: org.id } })).status).toBe(404);
  });
});

describe("Idempotency-Key on POST", () => {
  it("a retry with the same key and body gets the first answer (without the key shown once); another body is a 409", async () => {
    const org = await newOrg();
    const body = { organizationId: org.id, environment: "live", name: "idem", scopes: [] };
    const headers = { "idempotency-key": `idem-${Math.random()}` };
    const first = await call(createKey, { body, headers });
    expect(first.status).toBe(201);
    const again = await call(createKey, { body, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    const { key: shownOnce, ...rest } = first.json;
    expect(JSON.parse(JSON.stringify(again.json))).toEqual(JSON.parse(JSON.stringify(rest)));
    expect(shownOnce).toMatch(/^rk_live_/);
    const other = await call(createKey, { body: { ...body, name: "other" }, headers });
    expect(other.status).toBe(409);
    expect(other.json.error.message).toContain("Idempotency-Key");
    const prisma = await testPrisma();
    expect(await prisma.apiKey.count({ where: { organizationId: org.id } })).toBe(1);
    // The stored answer never holds the key.
    const rows = await prisma.idempotencyKey.findMany();
    expect(JSON.stringify(rows)).not.toContain(shownOnce);
  });

  it("20 concurrent retries have exactly one effect and all get the first answer", async () => {
    const org = await newOrg();
    const key = await newKey(org.id);
    const headers = { "idempotency-key": `race-${Math.random()}` };
    const results = await Promise.all(Array.from({ length: 20 }, () => call(revokeKey, { params: { id: key.id }, body: { reason: "race" }, headers })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(results.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { action: "key.revoked", keyId: key.id } })).toBe(1);
  });

  it("is per caller, and a failed first request frees the key for a corrected retry", async () => {
    const org = await newOrg();
    const headers = { "idempotency-key": `per-caller-${Math.random()}` };
    const bad = await call(createKey, { body: { organizationId: org.id, environment: "nope", name: "x" }, headers });
    expect(bad.status).toBe(400);
    const good = await call(createKey, { body: { organizationId: org.id, environment: "live", name: "x" }, headers });
    expect(good.status).toBe(201);
    const { secret } = await createManagementToken("second caller", { actor: ADMIN, now: new Date() });
    const theirs = await call(createKey, { body: { organizationId: org.id, environment: "live", name: "y" }, headers, token: secret });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect((await call(createKey, { body: {}, headers: { "idempotency-key": "has space" } })).json.error.field).toBe("Idempotency-Key");
  });

  it("a key whose first request is still open answers another body with a 409 at once, and the cron forgets keys after a day", async () => {
    const prisma = await testPrisma();
    const now = new Date();
    await prisma.idempotencyKey.create({ data: { actor: "bootstrap", key: "open-claim", requestHash: "0".repeat(64), createdAt: now } });
    const res = await call(createOrg, { body: { name: "never" }, headers: { "idempotency-key": "open-claim" } });
    expect([res.status, res.json.error.message]).toEqual([409, expect.stringContaining("different request")]);
    await prisma.idempotencyKey.create({
      data: { actor: "bootstrap", key: "old", requestHash: "0".repeat(64), status: 201, response: {}, createdAt: new Date(now.getTime() - 25 * 3_600_000) },
    });
    const purged = await purgeExpired(now);
    expect(purged.idempotencyKeys).toBe(1);
    expect(await prisma.idempotencyKey.findMany({ where: { key: { in: ["open-claim", "old"] } }, select: { key: true } })).toEqual([{ key: "open-claim" }]);
  });
});
