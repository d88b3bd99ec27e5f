import { expect, test } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN } from "../support/accounts";

const auth = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };

test("automation issues a key, rotates it with an overlap, and the company's API verifies both", async ({ request }) => {
  const org = await request.post("/api/v1/organizations", { headers: auth, data: { name: "E2E Corp", contactEmails: ["ops@e2e.example"] } });
  expect(org.status()).toBe(201);
  const key = await request.post("/api/v1/keys", {
    headers: auth,
    data: { organizationId: (await org.json()).id, environment: "live", name: "e2e", scopes: ["read:orders"] },
  });
  expect(key.status()).toBe(201);
  const { id, key: secret } = await key.json();

  expect(await (await request.post("/api/v1/keys/verify", { data: { key: secret } })).json()).toMatchObject({ valid: true, deprecated: false });

  const rotation = await request.post(`/api/v1/keys/${id}/rotations`, { headers: auth, data: { kind: "manual", gracePeriodHours: 48, deliver: "response" } });
  expect(rotation.status()).toBe(201);
  const { successorKey } = await rotation.json();

  const old = await request.post("/api/v1/keys/verify", { headers: { authorization: `Bearer ${secret}` } });
  expect(await old.json()).toMatchObject({ valid: true, deprecated: true });
  expect(old.headers().sunset).toMatch(/GMT$/);
  expect(old.headers().deprecation).toMatch(/^@\d+$/);
  expect(await (await request.post("/api/v1/keys/verify", { data: { key: successorKey } })).json()).toMatchObject({ valid: true, deprecated: false });

  const state = await (await request.get(`/api/v1/keys/${id}`, { headers: auth })).json();
  expect(JSON.stringify(state)).not.toContain(secret);
  expect(state.openRotation.state).toBe("grace");

  expect((await request.post("/api/v1/organizations", { data: { name: "nope" } })).status()).toBe(401);
  const spec = await (await request.get("/api/v1/openapi.json")).json();
  expect(spec.paths["/api/v1/keys/verify"]).toBeTruthy();
});
