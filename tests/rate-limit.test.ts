import { afterEach, describe, expect, it, vi } from "vitest";
import { randomBytes } from "node:crypto";
import { useTestDatabase, testPrisma } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import { call } from "./support/http";
import { clientAddress, trustedProxyHops } from "../lib/http/client-address";
import { createRateLimit } from "../lib/http/rate-limit";
import { purgeExpired } from "../lib/cron/retention";
import { parseSecret } from "../lib/keys/format";
import { checksum, PREFIX_RANDOM_CHARS, RANDOM_CHARS } from "../packages/verifier/src/format";
import { TooManyRequestsError } from "../lib/errors";
import { POST as rotateRoute } from "../app/api/v1/keys/rotate/route";
import { GET as listOrgs, POST as createOrg } from "../app/api/v1/organizations/route";
import { createManagementToken } from "../lib/auth/management-tokens";
import { ADMIN } from "./support/fixtures";

useTestDatabase();
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

const withXff = (chain?: string) => new Request("http://localhost/", { headers: chain ? { "x-forwarded-for": chain } : {} });

/** A well-formed key (right shape, right checksum) that is not a real one, starting with `prefix`. */
function forgedKey(prefix: string): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const tail = Array.from(randomBytes(RANDOM_CHARS - PREFIX_RANDOM_CHARS), (b) => alphabet[b % 62]).join("");
  const body = prefix + tail;
  const key = body + checksum(body);
  expect(parseSecret(key)).toMatchObject({ kind: "rk", prefix });
  return key;
}

/** The outcome of `take`: "ok" or "limited". */
const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "ok" as const,
    (e) => (e instanceof TooManyRequestsError ? ("limited" as const) : Promise.reject(e)),
  );

describe("the caller's address", () => {
  it("ignores X-Forwarded-For unless proxies are trusted: the connection's address (last in the chain) is the caller", () => {
    // npm start appends the socket's address; the rest was sent by the caller.
    expect(clientAddress(withXff("203.0.113.99, 198.51.100.7"), 0)).toBe("198.51.100.7");
    expect(clientAddress(withXff("198.51.100.7"), 0)).toBe("198.51.100.7");
    expect(clientAddress(withXff(), 0)).toBe("unknown");
    vi.stubEnv("REKEY_TRUST_PROXY", "");
    expect(trustedProxyHops()).toBe(0);
    expect(clientAddress(withXff("1.1.1.1, 10.0.0.2"))).toBe("10.0.0.2");
  });

  it("with trusted proxies, uses the address the outermost trusted proxy saw, never one the caller wrote", () => {
    // Caller forged 1.1.1.1; the load balancer (10.0.0.2, the socket) appended the caller's real address 203.0.113.5.
    expect(clientAddress(withXff("1.1.1.1, 203.0.113.5, 10.0.0.2"), 1)).toBe("203.0.113.5");
    // CDN then load balancer: two hops.
    expect(clientAddress(withXff("1.1.1.1, 203.0.113.5, 172.16.0.9, 10.0.0.2"), 2)).toBe("203.0.113.5");
    // Fewer entries than hops (a request straight to a trusted proxy's network): the first.
    expect(clientAddress(withXff("10.0.0.2"), 2)).toBe("10.0.0.2");
    vi.stubEnv("REKEY_TRUST_PROXY", "1");
    expect(clientAddress(withXff("1.1.1.1, 203.0.113.5, 10.0.0.2"))).toBe("203.0.113.5");
  });

  it("refuses a REKEY_TRUST_PROXY that is not a small whole number", () => {
    for (const bad of ["yes", "-1", "1.5", "100"]) expect(() => trustedProxyHops(bad)).toThrow(/REKEY_TRUST_PROXY/);
  });

  it("a caller cannot escape the per-address limit by inventing X-Forwarded-For entries", async () => {
    const peer = "192.0.2.50";
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await call(rotateRoute, { token: null, headers: { "x-forwarded-for": `203.0.113.${i}, ${peer}` } })).status);
    // One address throughout: ten failures, then the failure limit (and at the 21st the per-address limit) answers 429.
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(11).fill(429)]);
  });
});

describe("self-rotation limits", () => {
  it("forged keys with a real key's prefix do not lock that key out of its own rotation", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    // The attacker saw the prefix (in an email) and sends well-formed keys with it: more than the per-key limit (3) from each address.
    const statuses = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await call(rotateRoute, { token: forgedKey(key.prefix), headers: { "x-forwarded-for": `198.51.100.${i % 2}` } })).status);
    expect(statuses).toEqual(Array(20).fill(401));
    const own = await call(rotateRoute, { token: secret, headers: { "x-forwarded-for": "192.0.2.10" } });
    expect(own.status).toBe(201);
    expect(own.json.oldKey.id).toBe(key.id);
    // The attacker's address is now refused outright, before any lookup.
    const refused = await call(rotateRoute, { token: forgedKey(key.prefix), headers: { "x-forwarded-for": "198.51.100.0" } });
    expect(refused.status).toBe(429);
    expect(refused.json.error.message).toMatch(/failed self-rotation requests from this address/);
  });

  it("counts per key by the key itself: its own calls are limited, from any address", async () => {
    const org = await makeOrg();
    const { secret } = await makeKey(org.id);
    const answers: Awaited<ReturnType<typeof call>>[] = [];
    for (let i = 0; i < 4; i++) answers.push(await call(rotateRoute, { token: secret, headers: { "x-forwarded-for": `192.0.2.${100 + i}` } }));
    expect(answers.map((a) => a.status)).toEqual([201, 409, 409, 429]);
    // Each answer says where the caller stands: a fresh address has 19 of 20 left; the refusal by the key's own limit (3) says that limit is spent.
    const standing = (a: (typeof answers)[number]) => [a.headers.get("ratelimit-limit"), a.headers.get("ratelimit-remaining")];
    expect(answers.slice(0, 3).map(standing)).toEqual(Array(3).fill(["20", "19"]));
    expect(standing(answers[3])).toEqual(["3", "0"]);
    expect(Number(answers[3].headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    const prisma = await testPrisma();
    // Counters name a key by its id and an address as such: never a key or its prefix.
    const keys = (await prisma.rateLimitCounter.findMany({ select: { key: true } })).map((r) => r.key);
    expect(keys.some((k) => /rk_(live|test)_/.test(k))).toBe(false);
  });
});

describe("a shared limit", () => {
  const now = new Date("2026-03-01T12:00:30.000Z");

  it("two instances (two limiters on one database) share one count", async () => {
    const name = `shared-${randomBytes(3).toString("hex")}`;
    const one = createRateLimit({ name, points: 3, durationSeconds: 60 });
    const two = createRateLimit({ name, points: 3, durationSeconds: 60 });
    expect(await outcome(one.take("203.0.113.1", "requests", now))).toBe("ok");
    expect(await outcome(two.take("203.0.113.1", "requests", now))).toBe("ok");
    expect(await outcome(one.take("203.0.113.1", "requests", now))).toBe("ok");
    const refused = await two.take("203.0.113.1", "requests", now).catch((e) => e);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused.retryAfterSeconds).toBe(30);
    // Another subject, and the next window, start from zero.
    expect(await outcome(two.take("203.0.113.2", "requests", now))).toBe("ok");
    expect(await outcome(one.take("203.0.113.1", "requests", new Date(now.getTime() + 30_000)))).toBe("ok");
    // An instance whose clock is behind counts in the newer window, and does not reset it.
    expect(await outcome(two.take("203.0.113.1", "requests", now))).toBe("ok");
    expect(await outcome(two.take("203.0.113.1", "requests", now))).toBe("ok");
    expect(await outcome(one.take("203.0.113.1", "requests", new Date(now.getTime() + 31_000)))).toBe("limited");
  });

  it("N parallel requests at the limit let exactly the limit through", async () => {
    const name = `parallel-${randomBytes(3).toString("hex")}`;
    const limiters = [0, 1, 2].map(() => createRateLimit({ name, points: 7, durationSeconds: 60 }));
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => outcome(limiters[i % 3].take("192.0.2.1", "requests", now))));
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(7);
  });

  it("check refuses without counting; record counts without refusing", async () => {
    const limit = createRateLimit({ name: `check-${randomBytes(3).toString("hex")}`, points: 2, durationSeconds: 60 });
    await limit.check("x", "failures", now);
    await limit.record("x", now);
    await limit.check("x", "failures", now);
    await limit.record("x", now);
    await limit.record("x", now);
    await expect(limit.check("x", "failures", now)).rejects.toBeInstanceOf(TooManyRequestsError);
    await limit.check("x", "failures", new Date(now.getTime() + 60_000));
  });

  it("the cron purges counters whose window has ended", async () => {
    const limit = createRateLimit({ name: `purge-${randomBytes(3).toString("hex")}`, points: 5, durationSeconds: 60 });
    await limit.take("old", "requests", new Date(now.getTime() - 3_600_000));
    await limit.take("current", "requests", now);
    const prisma = await testPrisma();
    const before = await prisma.rateLimitCounter.count();
    const purged = await purgeExpired(now);
    expect(purged.rateLimitCounters).toBeGreaterThanOrEqual(1);
    expect(await prisma.rateLimitCounter.count()).toBe(before - purged.rateLimitCounters);
    expect(await prisma.rateLimitCounter.findMany({ where: { expiresAt: { lt: now } } })).toEqual([]);
    expect(await prisma.rateLimitCounter.findMany({ where: { key: { endsWith: ":current" } } })).toHaveLength(1);
  });
});

describe("the management API's limit per token", () => {
  it("says what is left on every answer, refuses past it with a 429 that changes nothing, and counts each token apart", async () => {
    vi.stubEnv("REKEY_MANAGEMENT_RATE_LIMIT", "3");
    // Five seconds into a minute, so the requests below fall in one window.
    vi.useFakeTimers({ toFake: ["Date"], now: new Date(`${new Date().toISOString().slice(0, 16)}:05.000Z`) });
    const one = await createManagementToken(`limited ${randomBytes(3).toString("hex")}`, { actor: ADMIN, now: new Date() });
    const two = await createManagementToken(`other ${randomBytes(3).toString("hex")}`, { actor: ADMIN, now: new Date() });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(listOrgs, { method: "GET", token: one.secret });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBe("3");
      expect(Number(res.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
      remaining.push(res.headers.get("ratelimit-remaining")!);
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const prisma = await testPrisma();
    const orgs = await prisma.organization.count();
    const refused = await call(createOrg, { token: one.secret, body: { name: `Limited ${randomBytes(3).toString("hex")}`, contactEmails: ["a@example.com"] } });
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe("rate_limited");
    expect(refused.json.error.message).toMatch(/at most 3 per 60 s/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-remaining")).toBe("0");
    expect(await prisma.organization.count()).toBe(orgs);
    // Another token has its own count.
    const other = await call(listOrgs, { method: "GET", token: two.secret });
    expect([other.status, other.headers.get("ratelimit-remaining")]).toEqual([200, "2"]);
    // No token, no count: a 401 carries no quota.
    const anonymous = await call(listOrgs, { method: "GET", token: null });
    expect([anonymous.status, anonymous.headers.get("ratelimit-limit")]).toEqual([401, null]);
  });
});
