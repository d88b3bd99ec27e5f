import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData, testDatabaseKind } from "./support/database";
import { withDatabase } from "./support/local-url";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "./support/fixtures";
import { createRotation, cancelRotation, postponeRotation, rollbackRotation } from "../lib/rotations/mutations";
import { advanceRotations } from "../lib/rotations/advance";
import { scheduleRotationsForFilter } from "../lib/rotations/bulk";
import { revealSuccessor, rerollSuccessor } from "../lib/rotations/successor";
import { selfRotate } from "../lib/rotations/self-rotate";
import { issueKey, revokeKey } from "../lib/keys/mutations";
import { scheduleDueRotations } from "../lib/cron/schedule";
import { sendDueReminders } from "../lib/cron/reminders";
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  queueTestEvent,
  resendDelivery,
  rotateWebhookSecret,
  setWebhookEndpointEnabled,
} from "../lib/webhooks/mutations";
import {
  deliverWebhooks,
  WEBHOOK_CLAIM_SIZE,
  WEBHOOK_DISABLE_AFTER_MS,
  WEBHOOK_LEASE_MS,
  WEBHOOK_MAX_ATTEMPTS,
  webhookRetryDelayMs,
} from "../lib/webhooks/deliver";
import { getWebhookEndpoint, listWebhookEndpoints } from "../lib/webhooks/queries";
import { WEBHOOK_EVENT_TYPES } from "../lib/webhooks/schemas";
import { call } from "./support/http";
import { GET as listRoute, POST as createRoute } from "../app/api/v1/webhooks/route";
import { DELETE as deleteRoute, GET as getRoute } from "../app/api/v1/webhooks/[id]/route";
import { POST as rotateRoute } from "../app/api/v1/webhooks/[id]/rotate-secret/route";
import { POST as testRoute } from "../app/api/v1/webhooks/[id]/test/route";

useTestDatabase();

/** A local receiver: records every request; answers `status()` (500s first when failNext > 0), or never (hang). */
function receiver() {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let failNext = 0;
  let hang = false;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      if (hang) return;
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end("down");
        return;
      }
      res.writeHead(204).end();
    });
  });
  return {
    received,
    failNext: (n: number) => (failNext = n),
    hang: (on: boolean) => (hang = on),
    start: () => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r())),
    url: (path = "/hooks") => `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
    reset: () => {
      received.length = 0;
      failNext = 0;
      hang = false;
    },
  };
}

const rx = receiver();
beforeAll(async () => {
  await rx.start();
});
afterAll(async () => {
  await rx.close();
});
beforeEach(async () => {
  await resetTestData();
  rx.reset();
  process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE = "1";
});
afterEach(() => {
  delete process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE;
});

const verifyWith = (secret: string, m: { headers: http.IncomingHttpHeaders; body: string }) =>
  new Webhook(secret).verify(m.body, {
    "webhook-id": String(m.headers["webhook-id"]),
    "webhook-timestamp": String(m.headers["webhook-timestamp"]),
    "webhook-signature": String(m.headers["webhook-signature"]),
  }) as { type: string; data: Record<string, unknown> };

/** The delivered event types since the last call, in order, and the queue emptied. */
async function takeDelivered(): Promise<string[]> {
  const prisma = await testPrisma();
  const rows = await prisma.webhookDelivery.findMany({ orderBy: [{ createdAt: "asc" }], select: { id: true, eventType: true, body: true } });
  await prisma.webhookDelivery.deleteMany();
  // createdAt ties within a transaction: the body's order is the pipeline's (ids are random), so sort stably by insertion.
  return rows.map((r) => r.eventType);
}

/**
 * Every lifecycle audit event had its webhook, one to one: the flows' events plus `between` (set-up steps whose
 * deliveries the flows did not count). alert.raised is audited by raiseAlerts as well.
 */
async function expectAuditMatchesWebhooks(flows: Record<string, string[]>, between: number) {
  const prisma = await testPrisma();
  const audited = await prisma.auditEvent.count({ where: { action: { in: [...WEBHOOK_EVENT_TYPES] } } });
  expect(audited).toBe(Object.values(flows).reduce((n, f) => n + f.length, 0) + between);
}

describe("the event pipeline: every writer's events reach webhooks, and match the audit trail", () => {
  it("lists the event types each flow produces", async () => {
    await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    const org = await makeOrg();
    const flows: Record<string, string[]> = {};
    const flow = async (name: string, fn: () => Promise<unknown>) => {
      await takeDelivered();
      await fn();
      flows[name] = (await takeDelivered()).sort();
    };
    let keyId = "";
    let secret = "";
    await flow(
      "issue a key",
      async () =>
        ({
          key: { id: keyId },
          secret,
        } = await makeKey(org.id)),
    );
    let rotationId = "";
    await flow(
      "schedule",
      async () =>
        ({
          rotation: { id: rotationId },
        } = await createRotation({ keyId, kind: "scheduled", scheduledAt: at(hours(48)) }, { actor: ADMIN, now: T0 })),
    );
    await flow("postpone", () => postponeRotation({ rotationId }, { actor: "user:customer", now: at(1000) }));
    await flow("cancel", () => cancelRotation({ rotationId, reason: "not now" }, { actor: ADMIN, now: at(2000) }));
    await flow("self-rotate", () => selfRotate(secret, at(3000)));
    const k2 = (await makeKey(org.id)).key;
    await takeDelivered();
    await flow(
      "rotate now, portal delivery",
      async () =>
        ({
          rotation: { id: rotationId },
        } = await createRotation({ keyId: k2.id, kind: "manual" }, { actor: ADMIN, now: at(4000) })),
    );
    await flow("reveal", () => revealSuccessor({ rotationId }, { actor: "user:customer", now: at(5000) }));
    await flow("re-roll", () => rerollSuccessor({ rotationId }, { actor: "user:customer", now: at(6000) }));
    await flow("roll back", () => rollbackRotation({ rotationId, reason: "broke a client" }, { actor: ADMIN, now: at(7000) }));
    await flow("emergency, revoke now", () =>
      createRotation({ keyId: k2.id, kind: "emergency", gracePeriodHours: 0, reason: "leaked" }, { actor: ADMIN, now: at(8000) }),
    );
    const k3 = (await makeKey(org.id)).key;
    await createRotation({ keyId: k3.id, kind: "manual", deliver: "response" }, { actor: ADMIN, now: at(9000) });
    await takeDelivered();
    await flow("revoke a key in grace", () => revokeKey({ keyId: k3.id, reason: "done" }, { actor: ADMIN, now: at(10_000) }));
    expect(flows).toEqual({
      "issue a key": ["key.created"],
      schedule: ["rotation.scheduled"],
      postpone: ["rotation.postponed"],
      cancel: ["rotation.cancelled"],
      "self-rotate": ["key.created", "rotation.started"],
      "rotate now, portal delivery": ["rotation.started"],
      reveal: ["key.created"],
      "re-roll": ["key.created", "key.revoked"],
      "roll back": ["key.reactivated", "key.revoked", "rotation.rolled_back"],
      "emergency, revoke now": ["key.revoked", "rotation.started"],
      "revoke a key in grace": ["key.revoked", "rotation.completed"],
    });
    await expectAuditMatchesWebhooks(flows, 4 /* k2, k3 issued; k3's rotation.started and successor */);
  });

  it("lists the event types each cron and bulk flow produces", async () => {
    const prisma = await testPrisma();
    await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    const org = await makeOrg();
    const k4 = (await makeKey(org.id)).key;
    const k5 = (await makeKey(org.id)).key;
    const flows: Record<string, string[]> = {};
    const flow = async (name: string, fn: () => Promise<unknown>) => {
      await takeDelivered();
      await fn();
      flows[name] = (await takeDelivered()).sort();
    };
    await flow("bulk schedule", () =>
      scheduleRotationsForFilter({ scheduledAt: at(hours(24)), organizationId: org.id, reason: "quarterly" }, { actor: ADMIN, now: at(1000) }),
    );
    await flow("cron: start", () => advanceRotations(at(hours(25))));
    // Default policy: 72 h of grace, so the deadline is T0 + 96 h; the old keys were used an hour before the reminder.
    await prisma.apiKey.updateMany({ where: { id: { in: [k4.id, k5.id] } }, data: { lastUsedAt: at(hours(94)) } });
    await flow("cron: remind", () => sendDueReminders(at(hours(95))));
    await flow("cron: complete", () => advanceRotations(at(hours(97))));
    const k6 = (await makeKey(org.id)).key;
    await createRotation({ keyId: k6.id, kind: "scheduled", scheduledAt: at(hours(100)) }, { actor: ADMIN, now: at(hours(30)) });
    await prisma.apiKey.update({ where: { id: k6.id }, data: { status: "revoked" } });
    await flow("cron: fail", () => advanceRotations(at(hours(101))));
    await issueKey(
      { organizationId: org.id, environment: "live", name: "old", scopes: ["read:orders"], rateLimit: 60 },
      { actor: ADMIN, now: new Date(T0.getTime() - 85 * 86_400_000) },
    );
    await flow("cron: policy schedule", () => scheduleDueRotations(at(hours(102))));
    expect(flows).toEqual({
      "bulk schedule": ["rotation.scheduled", "rotation.scheduled"],
      "cron: start": ["rotation.started", "rotation.started"],
      "cron: remind": ["alert.raised", "alert.raised", "rotation.reminded", "rotation.reminded"],
      "cron: complete": ["rotation.completed", "rotation.completed"],
      "cron: fail": ["alert.raised", "rotation.failed"],
      "cron: policy schedule": ["rotation.scheduled"],
    });
    await expectAuditMatchesWebhooks(flows, 6 /* k4, k5, k6, old issued; k6 scheduled */ - 1);
  });

  it("an organization without contacts (made by a key import) rotates, is reminded and is revoked without an email, not an error", async () => {
    const prisma = await testPrisma();
    // As lib/keys/import.ts creates one: no contactEmails at all (NULL in the column, [] through Prisma).
    const org = await prisma.organization.create({ data: { name: "Imported Co", externalId: "imp_1", createdAt: T0 } });
    const { key } = await makeKey(org.id);
    await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
    await prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: at(hours(71)) } });
    expect(await sendDueReminders(at(hours(71.5)))).toBe(1);
    const other = (await makeKey(org.id)).key;
    await createRotation({ keyId: other.id, kind: "emergency", gracePeriodHours: 0, reason: "leaked" }, { actor: ADMIN, now: T0 });
    expect(await prisma.notification.count()).toBe(0);
    expect(await prisma.auditEvent.count({ where: { action: "rotation.reminded" } })).toBe(1);
  });

  it("a bulk-scheduled notice tells the customer how to postpone, as every other notice does", async () => {
    const prisma = await testPrisma();
    const org = await makeOrg();
    await makeKey(org.id);
    await scheduleRotationsForFilter({ scheduledAt: at(hours(24)), organizationId: org.id, reason: "quarterly" }, { actor: ADMIN, now: T0 });
    const [n] = await prisma.notification.findMany({ where: { kind: "rotation_notice" } });
    expect(n.payload).toMatchObject({ postponeDays: 30, postponementsLeft: 2 });
  });

  it("an organization's endpoint gets only its own organization's events and no alerts; an endpoint's event filter holds", async () => {
    const a = await makeOrg("A");
    const b = await makeOrg("B");
    const { endpoint: onlyA } = await createWebhookEndpoint({ url: rx.url("/a"), organizationId: a.id }, { actor: ADMIN, now: T0 });
    const { endpoint: revocations } = await createWebhookEndpoint({ url: rx.url("/revoked"), events: ["key.revoked"] }, { actor: ADMIN, now: T0 });
    const ka = (await makeKey(a.id)).key;
    await makeKey(b.id);
    await createRotation({ keyId: ka.id, kind: "emergency", gracePeriodHours: 0, reason: "leak" }, { actor: ADMIN, now: T0 });
    const prisma = await testPrisma();
    const forA = await prisma.webhookDelivery.findMany({ where: { endpointId: onlyA.id }, select: { eventType: true, organizationId: true } });
    expect(forA.map((d) => d.eventType).sort()).toEqual(["key.created", "key.revoked", "rotation.started"]);
    expect(new Set(forA.map((d) => d.organizationId))).toEqual(new Set([a.id]));
    expect((await prisma.webhookDelivery.findMany({ where: { endpointId: revocations.id } })).map((d) => d.eventType)).toEqual(["key.revoked"]);
    await expect(createWebhookEndpoint({ url: rx.url(), organizationId: a.id, events: ["alert.raised"] }, { actor: ADMIN, now: T0 })).rejects.toThrow(
      /alert.raised goes only to endpoints for every organization/,
    );
  });
});

describe("signed delivery (Standard Webhooks), verified with the standardwebhooks library", () => {
  it("signs every delivery so the receiver's library accepts it; the payload names the key by id and prefix, never the key", async () => {
    const { secret } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const org = await makeOrg();
    const { key, secret: full } = await makeKey(org.id);
    const { successorSecret } = await createRotation({ keyId: key.id, kind: "manual", deliver: "response" }, { actor: ADMIN, now: T0 });
    const result = await deliverWebhooks(T0);
    expect(result).toEqual({ sent: 3, retrying: 0, failed: 0, disabled: 0 });
    expect(rx.received).toHaveLength(3);
    for (const m of rx.received) {
      const event = verifyWith(secret!, m);
      expect(m.body).not.toContain(full);
      expect(m.body).not.toContain(successorSecret);
      expect(String(m.headers["webhook-id"])).toMatch(/^msg_[0-9a-f]{32}$/);
      if (event.type === "rotation.started")
        expect(event.data).toMatchObject({ keyId: key.id, keyPrefix: key.prefix, organizationId: org.id, environment: "live" });
    }
    // Someone else's secret, or a changed body, is refused by the library.
    expect(() => verifyWith(`whsec_${Buffer.alloc(24, 1).toString("base64")}`, rx.received[0])).toThrow();
    expect(() => verifyWith(secret!, { ...rx.received[0], body: rx.received[0].body.replace("rotation", "rotatioN") })).toThrow();
  });

  it("after a secret rotation both signatures are sent until the overlap ends; then only the new one", async () => {
    const { endpoint, secret: oldSecret } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    const { secret: newSecret } = await rotateWebhookSecret(endpoint.id, { actor: ADMIN, now: T0 });
    expect(newSecret).not.toBe(oldSecret);
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: at(1000) });
    await deliverWebhooks(at(1000));
    const during = rx.received[0];
    expect(String(during.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyWith(oldSecret!, during).type).toBe("webhook.test");
    expect(verifyWith(newSecret, during).type).toBe("webhook.test");
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: at(hours(25)) });
    await deliverWebhooks(at(hours(25)));
    const after = rx.received[1];
    expect(String(after.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verifyWith(newSecret, after).type).toBe("webhook.test");
    expect(() => verifyWith(oldSecret!, after)).toThrow();
  });

  it("the secret is stored sealed, never as itself; the endpoint's views never carry it", async () => {
    const { endpoint, secret } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    const prisma = await testPrisma();
    const row = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(row.secret).not.toContain(secret!.slice(6));
    expect(JSON.stringify(await listWebhookEndpoints({}))).not.toContain(secret!.slice(6));
    expect(JSON.stringify(endpoint)).not.toMatch(/whsec_/);
  });
});

describe("durable delivery", () => {
  it("retries a failing endpoint on the schedule with the same webhook-id, then delivers", async () => {
    const { endpoint } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: T0 });
    rx.failNext(3);
    let now = T0;
    expect(await deliverWebhooks(now)).toMatchObject({ sent: 0, retrying: 1 });
    // Not before its time.
    expect(await deliverWebhooks(new Date(now.getTime() + webhookRetryDelayMs(1) - 1))).toMatchObject({ sent: 0, retrying: 0 });
    for (let attempt = 1; attempt <= 3; attempt++) {
      now = new Date(now.getTime() + webhookRetryDelayMs(attempt));
      await deliverWebhooks(now);
    }
    expect(rx.received).toHaveLength(4);
    expect(new Set(rx.received.map((m) => m.headers["webhook-id"])).size).toBe(1);
    const { deliveries } = await getWebhookEndpoint(endpoint.id, {});
    expect(deliveries[0]).toMatchObject({ status: "sent", attempts: 4, lastStatusCode: 204, lastError: null });
    expect(deliveries[0].lastLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it("gives up after the last attempt, disables an endpoint failing for days with an alert, holds its deliveries, and resumes when enabled", async () => {
    const { endpoint } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: T0 });
    rx.failNext(1000);
    let now = T0;
    for (let attempt = 1; attempt <= WEBHOOK_MAX_ATTEMPTS; attempt++) {
      await deliverWebhooks(now);
      now = new Date(now.getTime() + webhookRetryDelayMs(attempt));
    }
    const prisma = await testPrisma();
    expect((await prisma.webhookDelivery.findFirstOrThrow()).status).toBe("failed");
    expect(rx.received).toHaveLength(WEBHOOK_MAX_ATTEMPTS);
    // Past five days of failures, the next failure disables it.
    const later = new Date(T0.getTime() + WEBHOOK_DISABLE_AFTER_MS + 1000);
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: later });
    expect(await deliverWebhooks(later)).toMatchObject({ disabled: 1 });
    const ep = await prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect(ep.disabledAt).toEqual(later);
    expect(await prisma.alert.count({ where: { kind: "webhook_disabled" } })).toBe(1);
    // Held while disabled: a new event is queued, not sent.
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: later });
    rx.reset();
    expect(await deliverWebhooks(new Date(later.getTime() + hours(12)))).toMatchObject({ sent: 0 });
    expect(rx.received).toHaveLength(0);
    await setWebhookEndpointEnabled(endpoint.id, true, { actor: ADMIN, now: later });
    // The two test events, and the alert that the endpoint was disabled (it subscribes to every event).
    expect((await deliverWebhooks(new Date(later.getTime() + hours(12)))).sent).toBe(3);
  });

  it("resend sends a delivery again with the same webhook-id", async () => {
    const { endpoint } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    const { deliveryId } = await queueTestEvent(endpoint.id, { actor: ADMIN, now: T0 });
    await deliverWebhooks(T0);
    await resendDelivery(deliveryId, { actor: ADMIN, now: at(1000) });
    await deliverWebhooks(at(1000), { onlyIds: [deliveryId] });
    expect(rx.received.map((m) => m.headers["webhook-id"])).toEqual([deliveryId, deliveryId]);
  });

  it("a hung receiver: each request times out, the claim's rows are retried later, none is sent twice in one attempt", async () => {
    const { endpoint } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    for (let i = 0; i < 12; i++) await queueTestEvent(endpoint.id, { actor: ADMIN, now: T0 });
    rx.hang(true);
    // Two senders at once: they split the rows (SKIP LOCKED), each request gives up after 300 ms.
    const [a, b] = await Promise.all([deliverWebhooks(T0, { timeoutMs: 300, leaseMs: 2_000 }), deliverWebhooks(T0, { timeoutMs: 300, leaseMs: 2_000 })]);
    expect(a.retrying + b.retrying).toBe(12);
    expect(rx.received).toHaveLength(12);
    expect(new Set(rx.received.map((m) => m.headers["webhook-id"])).size).toBe(12);
    const prisma = await testPrisma();
    const rows = await prisma.webhookDelivery.findMany();
    expect(rows.every((r) => r.status === "pending" && r.attempts === 1 && /no answer within 300 ms/.test(r.lastError ?? ""))).toBe(true);
  });

  it("deleting an endpoint removes its deliveries; a customer cannot see or touch another organization's or a staff endpoint", async () => {
    const a = await makeOrg("A");
    const b = await makeOrg("B");
    const { endpoint: staff } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    const { endpoint: forB } = await createWebhookEndpoint({ url: rx.url() }, { actor: "user:b", now: T0, scope: { organizationId: b.id } });
    expect(forB.organizationId).toBe(b.id);
    for (const id of [staff.id, forB.id]) {
      await expect(deleteWebhookEndpoint(id, { actor: "user:a", now: T0, scope: { organizationId: a.id } })).rejects.toThrow(/No such webhook endpoint/);
      await expect(getWebhookEndpoint(id, { organizationId: a.id })).rejects.toThrow(/No such webhook endpoint/);
      await expect(queueTestEvent(id, { actor: "user:a", now: T0, scope: { organizationId: a.id } })).rejects.toThrow(/No such webhook endpoint/);
    }
    expect(await listWebhookEndpoints({ organizationId: a.id })).toEqual([]);
    await queueTestEvent(forB.id, { actor: "user:b", now: T0, scope: { organizationId: b.id } });
    await deleteWebhookEndpoint(forB.id, { actor: "user:b", now: T0, scope: { organizationId: b.id } });
    expect(await (await testPrisma()).webhookDelivery.count()).toBe(0);
  });
});

describe("outgoing requests refuse private and loopback addresses (SSRF)", () => {
  beforeEach(() => {
    delete process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE;
  });

  it("refuses to register private, loopback, link-local and plain-http URLs, with a clear message", async () => {
    for (const [url, message] of [
      ["http://example.com/hook", /must start with https/],
      ["https://127.0.0.1/hook", /private or loopback/],
      ["https://10.1.2.3/hook", /private or loopback/],
      ["https://169.254.169.254/latest/meta-data", /private or loopback/],
      ["https://[::1]/hook", /private or loopback/],
      ["https://[::ffff:127.0.0.1]/hook", /private or loopback/],
      ["https://localhost/hook", /private or loopback/],
      ["https://user:pw@example.com/hook", /user name or password/],
      ["not a url", /absolute URL/],
    ] as const) {
      await expect(createWebhookEndpoint({ url }, { actor: ADMIN, now: T0 }), url).rejects.toThrow(message);
    }
    expect(await (await testPrisma()).webhookEndpoint.count()).toBe(0);
  });

  it("refuses at send time a name that resolves to a loopback address (the check is on the address connected to)", async () => {
    // A name that resolved to a public address when it was registered and to a loopback one now (DNS rebinding):
    // registration only knows literal addresses, so the row is written as such a name would have been.
    const { endpoint } = await createWebhookEndpoint({ url: "https://hooks.example.com/rekey" }, { actor: ADMIN, now: T0 });
    await (await testPrisma()).webhookEndpoint.update({ where: { id: endpoint.id }, data: { url: `https://localhost:${new URL(rx.url()).port}/hooks` } });
    await queueTestEvent(endpoint.id, { actor: ADMIN, now: T0 });
    expect(await deliverWebhooks(T0)).toMatchObject({ sent: 0, retrying: 1 });
    expect(rx.received).toHaveLength(0);
    const { deliveries } = await getWebhookEndpoint(endpoint.id, {});
    expect(deliveries[0].lastError).toMatch(/refused: localhost resolves to (127\.0\.0\.1|::1), a private or loopback address/);
  });
});

describe("the management API: /api/v1/webhooks", () => {
  it("registers (the secret once, not in an idempotent replay), lists, tests, rotates and deletes", async () => {
    const created = await call(createRoute, { body: { url: rx.url(), events: ["key.revoked"], description: "SIEM" }, headers: { "idempotency-key": "wh-1" } });
    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_/);
    expect(created.json.webhook).toMatchObject({ url: rx.url(), events: ["key.revoked"], organizationId: null, format: "standard" });
    const replay = await call(createRoute, { body: { url: rx.url(), events: ["key.revoked"], description: "SIEM" }, headers: { "idempotency-key": "wh-1" } });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.secret).toBeUndefined();
    const prisma = await testPrisma();
    expect(JSON.stringify(await prisma.idempotencyKey.findMany())).not.toContain(created.json.secret.slice(6));
    const id = created.json.webhook.id;
    const list = await call(listRoute, { method: "GET" });
    expect(list.json.webhooks).toHaveLength(1);
    expect(JSON.stringify(list.json)).not.toContain("whsec_");
    const test = await call(testRoute, { params: { id } });
    expect(test.status).toBe(200);
    expect(test.json.delivery).toMatchObject({ eventType: "webhook.test", status: "sent", lastStatusCode: 204, attempts: 1 });
    expect(verifyWith(created.json.secret, rx.received[0]).type).toBe("webhook.test");
    const rotated = await call(rotateRoute, { params: { id } });
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.webhook.previousSecretUntil).toBeTruthy();
    const log = await call(getRoute, { method: "GET", params: { id } });
    expect(log.json.deliveries).toHaveLength(1);
    expect((await call(deleteRoute, { method: "DELETE", params: { id } })).json).toEqual({ id, deleted: true });
    expect((await call(getRoute, { method: "GET", params: { id } })).status).toBe(404);
    const bad = await call(createRoute, { body: { url: rx.url(), events: ["key.exploded"] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^events\.0: must be one of rotation.scheduled/);
    const actions = (await prisma.auditEvent.findMany({ where: { action: { startsWith: "webhook." } }, orderBy: { seq: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["webhook.created", "webhook.test_sent", "webhook.secret_rotated", "webhook.deleted"]);
  });
});

// A child process needs the same database: a PostgreSQL server (an in-memory PGlite lives in this process only).
describe.skipIf(testDatabaseKind !== "postgres")("a webhook sender killed between sending and marking", () => {
  it("of 30 deliveries, a kill -9 mid-delivery re-sends at most one claim's worth, each with the same webhook-id", async () => {
    const { endpoint } = await createWebhookEndpoint({ url: rx.url() }, { actor: ADMIN, now: T0 });
    for (let i = 0; i < 30; i++) await queueTestEvent(endpoint.id, { actor: ADMIN, now: T0 });
    const prisma = await testPrisma();
    const [{ name }] = await prisma.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "tests/support/crash-webhook-sender.ts", T0.toISOString()], {
      env: { ...process.env, DATABASE_URL: withDatabase(process.env.TEST_DATABASE_URL!, name), LOG_LEVEL: "silent", REKEY_WEBHOOKS_ALLOW_PRIVATE: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
    expect(signal, stderr).toBe("SIGKILL");
    const beforeCrash = rx.received.length;
    expect(beforeCrash).toBeGreaterThanOrEqual(1);
    expect(beforeCrash).toBeLessThanOrEqual(WEBHOOK_CLAIM_SIZE);
    // The claim the crash left is hidden until its lease ends; then everything goes, the claim's rows again.
    expect((await deliverWebhooks(at(WEBHOOK_LEASE_MS - 1000))).sent).toBe(30 - WEBHOOK_CLAIM_SIZE);
    expect((await deliverWebhooks(at(WEBHOOK_LEASE_MS + 1000))).sent).toBe(WEBHOOK_CLAIM_SIZE);
    const ids = rx.received.map((m) => String(m.headers["webhook-id"]));
    expect(new Set(ids).size).toBe(30);
    // Only what left before the crash arrived twice, each time with its own webhook-id: a receiver dedupes it.
    expect(ids.length - 30).toBe(beforeCrash);
    expect(await prisma.webhookDelivery.count({ where: { status: "sent" } })).toBe(30);
  });
});
