import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { useTestDatabase, testPrisma } from "./support/database";
import { ADMIN, makeKey, makeOrg } from "./support/fixtures";
import { openApiDocument } from "../lib/http/openapi";
import { isUndecodablePath, undecodablePathResponse, UNDECODABLE_PATH_MATCHER } from "../lib/http/path-encoding";
import { config as proxyConfig } from "../proxy";
import { createRotation as scheduleRotation } from "../lib/rotations/mutations";
import { flushUsage } from "../lib/keys/usage";
import { API_HANDLERS as handlers, type Handler } from "./support/routes";
import { expectDocumented } from "./support/contract";

/**
 * Hostile input to every operation of the OpenAPI document (issue 12, item 6):
 * NUL bytes, huge strings, dates out of range, wrong types, odd unicode, path
 * ids that do not decode, bodies past the limit, streamed or declared. Every
 * answer must be below 500, every refusal in the `{ error: { code, message } }`
 * shape, and a refused request must change nothing.
 */
useTestDatabase();

type Operation = { method: string; path: string; requestBody?: { content: { "application/json": { schema: JsonSchema } } } };
type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; enum?: readonly unknown[]; format?: string };
const operations: Operation[] = Object.entries(openApiDocument().paths).flatMap(([path, methods]) =>
  Object.entries(methods as Record<string, Omit<Operation, "method" | "path">>).map(([method, op]) => ({ ...op, method: method.toUpperCase(), path })),
);

const RUNS = 60;
let cases = 0;
let worst = 0;
const statuses: Record<string, Record<number, number>> = {};
afterAll(() => {
  // For the README's Security section, and to see that the inputs reach past the first check.
  console.log(
    `fuzz: ${cases} requests over ${operations.length} operations, highest status ${worst}\n${Object.entries(statuses)
      .map(([op, s]) => `  ${op}: ${JSON.stringify(s)}`)
      .join("\n")}`,
  );
});

// Real rows for the generated requests to hit, so they reach past "not found".
const world = { orgId: "", keyId: "", key: "", rotationId: "", freeKeyIds: [] as string[] };
async function seedWorld() {
  if (world.orgId) return;
  const org = await makeOrg();
  // Issued now: the requests schedule on the real clock, within a young key's latest allowed start.
  const { key, secret } = await makeKey(org.id, { at: new Date() });
  const { rotation } = await scheduleRotation(
    { keyId: key.id, kind: "scheduled", scheduledAt: new Date(Date.now() + 86_400_000) },
    { actor: ADMIN, now: new Date() },
  );
  // Keys with no rotation yet, so a rotation request gets as far as writing one (not a 409 first).
  const free = await Promise.all(Array.from({ length: 5 }, () => makeKey(org.id, { at: new Date() })));
  Object.assign(world, { orgId: org.id, keyId: key.id, key: secret, rotationId: rotation.id, freeKeyIds: free.map((k) => k.key.id) });
}

/**
 * A request each operation would accept, for one field at a time to be made
 * hostile: a field is only written when all the others are right, so this is
 * how a NUL or an out-of-range date gets as far as the database.
 */
let unique = 0;
const hour = () => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString();
const validBodies: Record<string, () => Record<string, unknown>> = {
  "POST /api/v1/keys/verify": () => ({ key: world.key }),
  "POST /api/v1/verifier/usage": () => ({
    keys: [{ keyId: world.keyId, hour: hour(), verifications: 1, rejected: 0, firstUsedAt: new Date().toISOString(), lastUsedAt: new Date().toISOString() }],
    results: [{ hour: hour(), result: "valid", count: 1 }],
  }),
  "POST /api/v1/organizations": () => ({ name: `Fuzz ${++unique} ${Math.random()}`, contactEmails: ["ops@example.com"], timeZone: "UTC" }),
  "POST /api/v1/keys": () => ({
    organizationId: world.orgId,
    environment: "live",
    name: "fuzz",
    scopes: ["read:orders"],
    rateLimit: 10,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  }),
  "PATCH /api/v1/organizations/{id}": () => ({
    name: `Fuzz ${++unique} ${Math.random()}`,
    contactEmails: ["ops@example.com"],
    timeZone: "UTC",
    externalId: `cus_${++unique}`,
    metadata: { plan: "gold", seats: 3 },
  }),
  "PATCH /api/v1/keys/{id}": () => ({
    name: "fuzz",
    scopes: ["read:orders"],
    rateLimit: 10,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    externalId: `key_${++unique}`,
    metadata: { tier: "a" },
  }),
  "POST /api/v1/keys/{id}/revoke": () => ({ reason: "fuzz" }),
  "POST /api/v1/keys/{id}/rotations": () => ({
    kind: "scheduled",
    scheduledAt: new Date(Date.now() + 86_400_000).toISOString(),
    reason: "fuzz",
    deliver: "portal",
    gracePeriodHours: 24,
  }),
  "POST /api/v1/rotations/{id}/cancel": () => ({ reason: "fuzz" }),
  "POST /api/v1/rotations/{id}/rollback": () => ({ reason: "fuzz" }),
};

/** Every path to a leaf of a value, as keys ("keys.0.hour"). */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  return [prefix];
}
function withLeaf(base: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  let at = base as Record<string, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[path[path.length - 1]] = value;
  return base;
}

/**
 * What a refused request must not change: rows, states, alerts and the audit
 * log. Usage counted so far is written first (its timer would otherwise write
 * it, and the alerts it raises, in the middle of a case), so what a request
 * counted shows up in the digest after it. One refusal records something by
 * design: a self-rotation during grace raises a possible-compromise alert
 * (tests/emergency.test.ts), so that alert and its audit event are left out.
 */
async function digest(): Promise<string> {
  await flushUsage();
  const prisma = await testPrisma();
  const [row] = await prisma.$queryRawUnsafe<{ d: string }[]>(`select json_build_array(
    (select count(*) from organizations), (select count(*) from users), (select count(*) from management_tokens), (select count(*) from rotation_policies),
    (select md5(coalesce(string_agg(id || status::text || name || coalesce("expiresAt"::text, '') || coalesce("revokedAt"::text, ''), ',' order by id), '')) from api_keys),
    (select md5(coalesce(string_agg(id || state::text || coalesce("graceEndsAt"::text, ''), ',' order by id), '')) from rotations),
    (select count(*) from audit_events where not (action = 'alert.raised' and after->>'kind' = 'possible_compromise')),
    (select count(*) from notifications), (select count(*) from alerts where kind <> 'possible_compromise'))::text as d`);
  return row.d;
}

// ---- Hostile values ------------------------------------------------------

const nul = fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`);
const huge = fc.constantFrom(1_000, 70_000, 300_000).map((n) => "x".repeat(n));
const oddUnicode = fc.constantFrom(
  "\ud800",
  "\udfff",
  "a\ud83dz",
  "\u202eevil",
  "\ufeff",
  "👩‍👩‍👧‍👦",
  "e\u0301",
  "\u{10ffff}",
  "ﬀ",
  "İ",
  "\u0085\u2028\u2029",
  "'; drop table organizations; --",
  "%00",
  "../../etc/passwd",
  "<script>",
);
const badDate = fc.constantFrom(
  "10000-01-01T00:00:00.000Z",
  "+275760-09-13T00:00:00.000Z",
  "-271821-04-20T00:00:00.000Z",
  "0000-01-01T00:00:00.000Z",
  "1969-12-31T23:00:00.000Z",
  "2026-02-30T00:00:00Z",
  "2026-13-01",
  "9999-12-31T23:59:59.999Z",
  "99999",
  "1e21",
  "NaN",
  "",
  "now",
  8.64e15,
  -8.64e15,
  253402300800000,
  1e300,
  -1,
  0,
  true,
);
const goodDate = fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);
const hostileString = fc.oneof(nul, huge, oddUnicode, fc.string({ unit: "binary", maxLength: 50 }), fc.string({ maxLength: 50 }));
const hostile = fc.oneof(hostileString, badDate, wrongType);
// Nesting is sent as text: a nested value would overflow fast-check's own printing of a failure.
const deepText = fc.integer({ min: 100, max: 20_000 }).map((n) => "[".repeat(n) + "]".repeat(n));

/** A value for a schema property: often plausible (so validation goes deeper), often hostile. */
function valueFor(name: string, schema: JsonSchema): fc.Arbitrary<unknown> {
  const plausible: fc.Arbitrary<unknown>[] = [];
  if (schema.enum) plausible.push(fc.constantFrom(...schema.enum));
  if (schema.format === "uuid" || /Id$/.test(name))
    plausible.push(fc.constantFrom(world.orgId, world.keyId, world.rotationId, "00000000-0000-4000-8000-000000000000"));
  if (schema.format === "date-time" || /At$|^hour$/.test(name))
    plausible.push(
      goodDate,
      goodDate.map((d) => `${d.slice(0, 13)}:00:00.000Z`),
      badDate,
    );
  if (schema.type === "integer") plausible.push(fc.integer({ min: -10, max: 2_000 }), fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, 1e308, -0, 0.5));
  if (schema.type === "string" && !schema.enum) plausible.push(fc.string({ minLength: 1, maxLength: 30 }));
  if (name === "contactEmails")
    plausible.push(
      fc.array(
        fc.oneof(
          fc.emailAddress(),
          nul.map((s) => `${s}@example.com`),
        ),
        { maxLength: 3 },
      ),
    );
  if (name === "scopes") plausible.push(fc.array(fc.oneof(fc.constant("read:orders"), hostileString), { maxLength: 3 }));
  if (name === "timeZone") plausible.push(fc.constantFrom("UTC", "Europe/Berlin", "Mars/Olympus", "\u0000UTC"));
  if (schema.type === "array" && schema.items) plausible.push(fc.array(objectFor(schema.items), { maxLength: 3 }));
  return plausible.length ? fc.oneof(...plausible, hostile) : hostile;
}

function objectFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  const props = Object.entries(schema.properties ?? {});
  if (!props.length) return fc.oneof(fc.constant({}), fc.dictionary(hostileString, hostile, { maxKeys: 3 }));
  return fc.record(Object.fromEntries(props.map(([name, s]) => [name, valueFor(name, s)])), { requiredKeys: [] });
}

/** A path segment as it would arrive: a real id, hostile text percent-encoded, or raw bytes that do not decode. */
const segment = fc.oneof(
  {
    arbitrary: fc
      .constantFrom(
        () => world.keyId,
        () => world.rotationId,
        () => world.orgId,
        () => world.freeKeyIds[unique++ % world.freeKeyIds.length],
      )
      .map((f) => encodeURIComponent(f())),
    weight: 3,
  },
  hostileString.map((s) => {
    try {
      return encodeURIComponent(s);
    } catch {
      return "%ED%A0%80";
    }
  }),
  fc.constantFrom("%E0%A4%A", "%ZZ", "%", "%C0%AF", "%ED%A0%80", "%FF", "%00", "abc%2", "%%41"),
);

function propertyNames(schema: JsonSchema | undefined): string[] {
  return ["x", ...Object.keys(schema?.properties ?? {})];
}

type Body = { kind: "none" } | { kind: "json"; value: unknown } | { kind: "text"; text: string } | { kind: "big"; bytes: number; declared: boolean };
function bodyFor(op: Operation): fc.Arbitrary<Body> {
  const schema = op.requestBody?.content["application/json"].schema;
  const valid = validBodies[`${op.method} ${op.path}`];
  const oneBadField = valid
    ? [
        {
          arbitrary: fc
            .tuple(fc.constantFrom(...leafPaths(valid())), fc.oneof(hostile, badDate, nul))
            .map(([path, value]): Body => ({ kind: "json", value: withLeaf(valid(), path, value) })),
          weight: 6,
        },
      ]
    : [];
  return fc.oneof(
    ...oneBadField,
    { arbitrary: fc.constant<Body>({ kind: "none" }), weight: 1 },
    {
      arbitrary: (schema ? objectFor(schema) : fc.dictionary(hostileString, hostile, { maxKeys: 3 })).map((value): Body => ({ kind: "json", value })),
      weight: 6,
    },
    {
      arbitrary: fc
        .oneof(
          hostile.map((v) => JSON.stringify(v) ?? "undefined"),
          fc.constantFrom("{not json", "[1,2]", "null", '"x"', '{"a":', "\u0000", "{}garbage"),
          deepText,
          fc.tuple(fc.constantFrom(...propertyNames(schema)), deepText).map(([k, d]) => `{"${k}":${d}}`),
        )
        .map((text): Body => ({ kind: "text", text })),
      weight: 2,
    },
    {
      arbitrary: fc.record({ bytes: fc.constantFrom(9_000, 70_000, 1_100_000, 17_000_000), declared: fc.boolean() }).map((b): Body => ({ kind: "big", ...b })),
      weight: 1,
    },
  );
}

const token = fc.oneof(
  { arbitrary: fc.constant<string | undefined>(undefined), weight: 6 }, // the bootstrap management token
  { arbitrary: fc.constantFrom<string | null>(null, "nonsense", `rkm_mgmt_${"a".repeat(49)}`, "rk_live_x"), weight: 1 },
  { arbitrary: fc.constant<string | null>("self"), weight: 1 }, // the world's key
);

/** A body that streams `bytes` in 64 KB chunks, counting what the handler pulled. */
function streamOf(bytes: number, pulled: { bytes: number }) {
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  let left = bytes;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      pulled.bytes += part.length;
      controller.enqueue(part);
    },
  });
}

async function send(op: Operation, input: { segment: string; body: Body; token: string | null | undefined; query: Record<string, unknown> }) {
  const headers = new Headers({ "content-type": "application/json" });
  const bearer = input.token === undefined ? process.env.REKEY_BOOTSTRAP_TOKEN : input.token === "self" ? world.key : input.token;
  if (bearer) headers.set("authorization", `Bearer ${bearer}`);
  let body: BodyInit | undefined;
  if (op.method !== "GET") {
    if (input.body.kind === "json") body = JSON.stringify(input.body.value);
    else if (input.body.kind === "text") body = input.body.text;
    else if (input.body.kind === "big") {
      if (input.body.declared) {
        body = "{}";
        headers.set("content-length", String(input.body.bytes));
      } else body = streamOf(input.body.bytes, { bytes: 0 });
    }
  }
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(input.query)) if (v !== undefined) search.set(k, typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
  const url = `http://localhost${op.path.replace("{id}", "x")}?${search}`;
  const request = new Request(url, { method: op.method, headers, body, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);
  // As Next does: the handler reads params decoded, and a segment that does not decode fails there.
  const params = op.path.includes("{id}") ? Promise.resolve().then(() => ({ id: decodeURIComponent(input.segment) })) : Promise.resolve({});
  params.catch(() => {});
  const response = await handlers[`${op.method} ${op.path}`](request, { params });
  const text = await response.text();
  return { status: response.status, text, contentType: response.headers.get("content-type") };
}

describe("fuzzing every operation of the OpenAPI document", () => {
  it("has a handler for every operation", () => {
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(Object.keys(handlers).sort());
  });

  for (const op of operations) {
    it(`${op.method} ${op.path}: never 5xx, refusals in the error shape, and change nothing`, async () => {
      await seedWorld();
      const query = op.path.endsWith("/changes")
        ? fc.record({
            cursor: fc.oneof(hostileString, fc.constant(undefined)),
            wait: fc.oneof(
              fc.constant(0),
              hostile.filter((v) => typeof v !== "number" || !(v >= 0 && v <= 25)),
            ),
          })
        : op.method === "GET" && op.path === "/api/v1/keys"
          ? fc.record(
              Object.fromEntries(
                ["organizationId", "externalId", "status", "prefix", "name", "cursor", "limit"].map((name) => [
                  name,
                  fc.oneof(fc.constant(undefined), valueFor(name, { type: name === "limit" ? "integer" : "string" }), hostileString),
                ]),
              ),
            )
          : op.path === "/api/v1/organizations/{id}" && op.method === "DELETE"
            ? fc.record({ revokeKeys: fc.oneof(fc.constant(undefined), fc.constantFrom("false", "yes", ""), hostileString) })
            : fc.constant({});
      await fc.assert(
        fc.asyncProperty(fc.record({ segment, body: bodyFor(op), token, query }), async (input) => {
          const before = await digest();
          const { status, text, contentType } = await send(op, input);
          cases++;
          worst = Math.max(worst, status);
          const counted = (statuses[`${op.method} ${op.path}`] ??= {});
          counted[status] = (counted[status] ?? 0) + 1;
          expect(status, text.slice(0, 300)).toBeLessThan(500);
          // Every answer, hostile input's included, is one the document lists, in its shape.
          expectDocumented(`${op.method} ${op.path}`, status, contentType, contentType?.includes("application/json") ? JSON.parse(text) : text);
          if (status >= 400) {
            const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
            expect(typeof body.error?.code).toBe("string");
            expect(typeof body.error?.message).toBe("string");
            expect(JSON.parse(await digest()), `state after a ${status}`).toEqual(JSON.parse(before));
          }
          // A refusal never echoes the key it was sent.
          expect(text.includes(world.key)).toBe(false);
        }),
        { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED) || undefined },
      );
    }, 120_000);
  }

  it("leaves the usage batch writable: nothing hostile got into it", async () => {
    await expect(flushUsage()).resolves.toBeUndefined();
  });
});

describe("body limits", () => {
  const reading: [string, Handler, number, Record<string, string>][] = [
    ["verify", handlers["POST /api/v1/keys/verify"], 8 * 1024, {}],
    ["organizations", handlers["POST /api/v1/organizations"], 64 * 1024, {}],
    ["keys", handlers["POST /api/v1/keys"], 64 * 1024, {}],
    ["rotations", handlers["POST /api/v1/keys/{id}/rotations"], 64 * 1024, { id: "x" }],
    ["cancel", handlers["POST /api/v1/rotations/{id}/cancel"], 64 * 1024, { id: "x" }],
    ["rollback", handlers["POST /api/v1/rotations/{id}/rollback"], 64 * 1024, { id: "x" }],
    ["usage", handlers["POST /api/v1/verifier/usage"], 16 * 1024 * 1024, {}],
  ];
  for (const [name, handler, limit, params] of reading) {
    it(`${name}: stops reading a 100 MB body that declares no length just past ${limit} bytes, 413`, async () => {
      await seedWorld();
      const pulled = { bytes: 0 };
      const request = new Request("http://localhost/", {
        method: "POST",
        // Not for verify: with REKEY_VERIFY_TOKEN unset, a bearer there is the key, and the body is not read.
        headers: { ...(name === "verify" ? {} : { authorization: `Bearer ${process.env.REKEY_BOOTSTRAP_TOKEN}` }), "content-type": "application/json" },
        body: streamOf(100 * 1024 * 1024, pulled),
        duplex: "half",
      } as RequestInit);
      const response = await handler(request, { params: Promise.resolve(params) });
      expect(response.status).toBe(413);
      expect((await response.json()).error).toMatchObject({ code: "payload_too_large", message: expect.stringMatching(/at most/) });
      // The stream may run a few chunks ahead of the reader.
      expect(pulled.bytes).toBeLessThan(limit + 4 * 64 * 1024);
    });
  }

  it("refuses a declared length past the limit on every route, even those that never read a body", async () => {
    for (const [key, handler] of Object.entries(handlers)) {
      const [method] = key.split(" ");
      const request = new Request("http://localhost/", {
        method,
        headers: { authorization: `Bearer ${process.env.REKEY_BOOTSTRAP_TOKEN}`, "content-length": String(20 * 1024 * 1024) },
        ...(method === "GET" ? {} : { body: "{}" }),
      });
      const response = await handler(request, { params: Promise.resolve({ id: "x" }) });
      expect([key, response.status]).toEqual([key, 413]);
    }
  });
});

describe("paths that do not decode", () => {
  it("are found by proxy.ts before Next decodes a route's parameters, pages and API alike", async () => {
    for (const bad of ["/api/v1/keys/%E0%A4%A", "/api/v1/rotations/%ZZ/cancel", "/api/v1/keys/%", "/api/v1/keys/%ED%A0%80", "/dashboard/keys/%C0%AF"])
      expect(isUndecodablePath(bad)).toBe(true);
    for (const good of ["/api/v1/keys/abc", "/api/v1/keys/%C3%A9", "/dashboard/keys/%F0%9F%94%91"]) expect(isUndecodablePath(good)).toBe(false);
    const api = undecodablePathResponse("/api/v1/keys/%ZZ");
    expect([api.status, (await api.json()).error.code]).toEqual([400, "invalid_request"]);
    expect(undecodablePathResponse("/dashboard/%ZZ").status).toBe(400);
  });

  it("reach the proxy through its matcher, which matches exactly the paths that do not decode (no other API request is proxied)", () => {
    expect(proxyConfig.matcher).toContain(UNDECODABLE_PATH_MATCHER);
    // Next compiles the matcher with path-to-regexp; what it matches after the leading slash is this pattern.
    const matches = new RegExp(`^${UNDECODABLE_PATH_MATCHER.slice(1).replace(/^\((.*)\)$/s, "$1")}$`);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("%", "a", "/", "0", "7", "8", "9", "A", "b", "C", "d", "E", "f", "F", "4", "2", "1"), { maxLength: 16 }),
        (chars) => {
          const path = chars.join("");
          expect(matches.test(path)).toBe(isUndecodablePath(path));
        },
      ),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 6 }), (bytes) => {
        const path = [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
        expect(matches.test(path)).toBe(isUndecodablePath(path));
      }),
      { numRuns: 20_000 },
    );
  });

  it("are a 400 from the route wrapper where the params fail to decode", async () => {
    const params = Promise.resolve().then(() => ({ id: decodeURIComponent("%E0%A4%A") }));
    params.catch(() => {});
    const response = await handlers["GET /api/v1/keys/{id}"](
      new Request("http://localhost/api/v1/keys/%E0%A4%A", { headers: { authorization: `Bearer ${process.env.REKEY_BOOTSTRAP_TOKEN}` } }),
      { params },
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error.message).toMatch(/percent-encoding/);
  });
});
