import { describe, expect, it } from "vitest";
import http from "node:http";
import { useTestDatabase } from "./support/database";
import { useFastVerifyServer } from "./support/http";
import { ADMIN, makeKey, makeOrg } from "./support/fixtures";
import { rotateNow } from "../lib/rotations/mutations";
import { POST as verifyRoute } from "../app/api/v1/keys/verify/route";

useTestDatabase();

const fastPath = useFastVerifyServer();

async function both(init: RequestInit) {
  const fast = await fetch(`${fastPath()}/api/v1/keys/verify`, { method: "POST", ...init });
  const route = await verifyRoute(new Request("http://localhost/api/v1/keys/verify", { method: "POST", ...init }), { params: Promise.resolve({}) });
  const pick = (r: Response) => ({
    status: r.status,
    deprecation: r.headers.get("deprecation"),
    sunset: r.headers.get("sunset"),
    cache: r.headers.get("cache-control"),
  });
  return { fast: { ...pick(fast), body: await fast.json() }, route: { ...pick(route), body: await route.json() } };
}

describe("the verify fast path (npm start) and the route handler (next start)", () => {
  it("give the same answer, status and headers for every kind of request", async () => {
    const org = await makeOrg();
    const active = await makeKey(org.id);
    const old = await makeKey(org.id);
    await rotateNow({ keyId: old.key.id, deliver: "response", gracePeriodHours: 24 }, { actor: ADMIN, now: new Date() });
    const json = { "content-type": "application/json" };
    const cases: RequestInit[] = [
      { headers: json, body: JSON.stringify({ key: active.secret }) },
      { headers: { authorization: `Bearer ${active.secret}` } },
      { headers: json, body: JSON.stringify({ key: old.secret }) },
      { headers: json, body: JSON.stringify({ key: "rk_live_nope" }) },
      { headers: json, body: JSON.stringify({ nokey: 1 }) },
      { headers: json, body: "{not json" },
      { headers: json, body: "[]" },
      { headers: json, body: JSON.stringify({ key: "x".repeat(9_000) }) },
    ];
    for (const init of cases) {
      const { fast, route } = await both(init);
      expect(fast, String(init.body ?? JSON.stringify(init.headers))).toEqual(route);
    }
    const deprecated = await both(cases[2]);
    expect(deprecated.fast).toMatchObject({ status: 200, body: { valid: true, deprecated: true }, cache: "no-store" });
    expect(deprecated.fast.deprecation).toMatch(/^@\d+$/);
    expect((await both(cases[7])).fast).toMatchObject({ status: 413, body: { error: { code: "payload_too_large" } } });
    expect((await both(cases[5])).fast).toMatchObject({ status: 400, body: { error: { code: "invalid_request", message: "The request body must be JSON." } } });
  });

  it("refuses a 100 MB body at once, without reading it", async () => {
    const started = Date.now();
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        `${fastPath()}/api/v1/keys/verify`,
        { method: "POST", headers: { "content-type": "application/json", "content-length": String(100 * 1024 * 1024) } },
        resolve,
      );
      req.on("error", reject);
      req.write('{"key":"');
    });
    expect(res.statusCode).toBe(413);
    expect(Date.now() - started).toBeLessThan(2_000);
    res.destroy();
  });

  it("with REKEY_VERIFY_TOKEN set, answers only callers that send it (the key then in the body), on both paths", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    const json = { "content-type": "application/json" };
    process.env.REKEY_VERIFY_TOKEN = "verify-token-for-tests-0123456789";
    try {
      const withToken = await both({ headers: { ...json, authorization: "Bearer verify-token-for-tests-0123456789" }, body: JSON.stringify({ key: secret }) });
      expect(withToken.fast).toEqual(withToken.route);
      expect(withToken.fast).toMatchObject({ status: 200, body: { valid: true, keyId: key.id } });
      for (const init of [
        { headers: json, body: JSON.stringify({ key: secret }) },
        { headers: { ...json, authorization: "Bearer verify-token-for-tests-WRONG" }, body: JSON.stringify({ key: secret }) },
        { headers: { authorization: `Bearer ${secret}` } }, // the open mode's way: now the header is the caller's
      ]) {
        const { fast, route } = await both(init);
        expect(fast).toEqual(route);
        expect(fast).toMatchObject({ status: 401, body: { error: { code: "unauthorized" } } });
        expect(JSON.stringify(fast.body)).not.toContain(secret);
      }
      const noKey = await both({ headers: { ...json, authorization: "Bearer verify-token-for-tests-0123456789" }, body: "{}" });
      expect(noKey.fast).toMatchObject({ status: 400, body: { error: { field: "key" } } });
    } finally {
      delete process.env.REKEY_VERIFY_TOKEN;
    }
  });
});
