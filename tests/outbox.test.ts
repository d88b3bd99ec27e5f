import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData, testDatabaseKind } from "./support/database";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "./support/fixtures";
import { startSmtpServer, recipients } from "./support/smtp";
import { withDatabase } from "./support/local-url";
import { createRotation } from "../lib/rotations/mutations";
import { CLAIM_LEASE_MS, MAX_ATTEMPTS, claimSize, deliverOutbox, retryDelayMs } from "../lib/notifications/deliver";
import { IDEMPOTENCY_HEADER, smtpMailer, fileMailer, type Mailer } from "../lib/notifications/mailer";

useTestDatabase();

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp.close();
});
beforeEach(async () => {
  await resetTestData();
  smtp.received.length = 0;
  smtp.failNext(0);
  smtp.slow(0);
  smtp.hang(false);
});

const header = (m: { headers: Map<string, unknown> }) => String(m.headers.get(IDEMPOTENCY_HEADER.toLowerCase()));

/** n emails due now: one real rotation's notification, copied to n recipients (each its own idempotency key). */
async function makeNotifications(n: number, now = T0) {
  const org = await makeOrg();
  const { key } = await makeKey(org.id);
  await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now });
  const prisma = await testPrisma();
  const [first] = await prisma.notification.findMany({ take: 1 });
  await prisma.notification.deleteMany();
  await prisma.notification.createMany({
    data: Array.from({ length: n }, (_, i) => ({
      kind: first.kind,
      organizationId: first.organizationId,
      keyId: first.keyId,
      rotationId: first.rotationId,
      recipient: `ops+${i}@example.com`,
      idempotencyKey: `fault-test-${i}-${first.idempotencyKey}`,
      payload: first.payload as object,
      nextAttemptAt: now,
    })),
  });
}

/** How often each Message-ID arrived. */
const arrivals = (received: { messageId?: string }[]) => {
  const counts = new Map<string, number>();
  for (const m of received) counts.set(m.messageId!, (counts.get(m.messageId!) ?? 0) + 1);
  return counts;
};

describe("the outbox over a real SMTP server", () => {
  it("delivers each email to its recipients with the deadline and prefix, never the key, and records the message id", async () => {
    const org = await makeOrg("Globex");
    const { key, secret } = await makeKey(org.id);
    const { rotation, successorSecret } = await createRotation({ keyId: key.id, kind: "manual", deliver: "response" }, { actor: ADMIN, now: T0 });
    const mailer = smtpMailer(smtp.url);
    const result = await deliverOutbox(at(1000), { mailer });
    mailer.close();
    expect(result).toEqual({ sent: 2, retrying: 0, failed: 0 });
    expect(smtp.received.flatMap(recipients).sort()).toEqual(["ops@example.com", "security@example.com"]);
    for (const m of smtp.received) {
      expect(m.subject).toBe(`New API key ready: replace ${key.prefix}… before Thu, 8 Jan 2026, 10:00 UTC+1`);
      expect(m.text).toContain("until Thu, 8 Jan 2026, 10:00 UTC+1 (Europe/Berlin; Thu, 8 Jan 2026, 09:00 UTC)");
      expect(m.html).toContain(key.prefix);
      expect(m.html).toContain(`/portal/keys/${key.id}`);
      for (const s of [secret, successorSecret!]) {
        expect(m.text).not.toContain(s);
        expect(String(m.html)).not.toContain(s);
      }
    }
    const prisma = await testPrisma();
    const rows = await prisma.notification.findMany({ where: { rotationId: rotation.id } });
    expect(rows.every((n) => n.status === "sent" && n.attempts === 1 && n.subject?.startsWith("New API key ready"))).toBe(true);
    expect(rows.map((n) => n.messageId).sort()).toEqual(smtp.received.map((m) => m.messageId).sort());
    // Delivering again sends nothing.
    expect(await deliverOutbox(at(hours(1)), { mailer: smtpMailer(smtp.url) })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(smtp.received).toHaveLength(2);
  });

  it("retries a failing server with exponential backoff, then delivers each email once", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
    const mailer = smtpMailer(smtp.url);
    smtp.failNext(4); // both emails fail twice
    expect(await deliverOutbox(T0, { mailer })).toEqual({ sent: 0, retrying: 2, failed: 0 });
    expect(await deliverOutbox(at(retryDelayMs(1) - 1000), { mailer })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(await deliverOutbox(at(retryDelayMs(1)), { mailer })).toEqual({ sent: 0, retrying: 2, failed: 0 });
    const prisma = await testPrisma();
    const waiting = await prisma.notification.findFirstOrThrow();
    expect(waiting.lastError).toMatch(/451/);
    expect(waiting.nextAttemptAt.toISOString()).toBe(at(retryDelayMs(1) + retryDelayMs(2)).toISOString());
    expect(await deliverOutbox(at(retryDelayMs(1) + retryDelayMs(2)), { mailer })).toEqual({ sent: 2, retrying: 0, failed: 0 });
    mailer.close();
    expect(smtp.received).toHaveLength(2);
    expect(new Set(smtp.received.map(header)).size).toBe(2);
    const rows = await prisma.notification.findMany();
    expect(rows.map((r) => [r.status, r.attempts, r.lastError])).toEqual([
      ["sent", 3, null],
      ["sent", 3, null],
    ]);
  });

  it(`gives up after ${MAX_ATTEMPTS} failures: marked failed, an alert raised, the email still listed`, async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
    const mailer = smtpMailer(smtp.url);
    smtp.failNext(1000);
    let t = T0.getTime();
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await deliverOutbox(new Date(t), { mailer });
      t += retryDelayMs(attempt);
    }
    mailer.close();
    const prisma = await testPrisma();
    const rows = await prisma.notification.findMany();
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ["failed", MAX_ATTEMPTS],
      ["failed", MAX_ATTEMPTS],
    ]);
    const alerts = await prisma.alert.findMany({ where: { kind: "notification_failed" } });
    expect(alerts).toHaveLength(2);
    expect(alerts[0].message).toMatch(/failed 8 times: .*451/);
    // Nothing more is attempted for a failed email.
    expect(await deliverOutbox(new Date(t + hours(24)), { mailer: smtpMailer(smtp.url) })).toEqual({ sent: 0, retrying: 0, failed: 0 });
  });
});

// A child process needs the same database: a PostgreSQL server (an in-memory PGlite lives in this process only).
describe.skipIf(testDatabaseKind !== "postgres")("a sender killed between sending and marking", () => {
  async function crashSender(target: string, now: Date) {
    const prisma = await testPrisma();
    const [{ name }] = await prisma.$queryRaw<{ name: string }[]>`SELECT current_database() AS name`;
    // node --import tsx runs the script in this one process (the tsx command would wrap it in a child of its own).
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "tests/support/crash-sender.ts", target, now.toISOString()], {
      env: { ...process.env, DATABASE_URL: withDatabase(process.env.TEST_DATABASE_URL!, name), LOG_LEVEL: "silent" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, sig) => resolve(sig)));
    expect(signal, stderr).toBe("SIGKILL");
    // Messages the child finished sending before it died may still be being read by this process's SMTP server:
    // count "before the crash" only once the server has taken everything in (no new message for 300 ms).
    for (let seen = -1, since = Date.now(); Date.now() - since < 300; ) {
      if (smtp.received.length !== seen) [seen, since] = [smtp.received.length, Date.now()];
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it("SMTP: the message is re-sent after the lease with the same Message-ID and idempotency key, so the mailbox holds it once", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
    await crashSender(smtp.url, T0);
    // Sends run in parallel: one or both emails left before the process died.
    const beforeCrash = smtp.received.length;
    expect(beforeCrash).toBeGreaterThanOrEqual(1);
    const prisma = await testPrisma();
    // Both claimed, neither marked: hidden until the lease ends.
    expect((await prisma.notification.findMany()).map((n) => [n.status, n.attempts])).toEqual([
      ["pending", 1],
      ["pending", 1],
    ]);
    const mailer = smtpMailer(smtp.url);
    expect(await deliverOutbox(at(CLAIM_LEASE_MS - 1000), { mailer })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    // The lease runs from the claim: a moment after it.
    expect(await deliverOutbox(at(CLAIM_LEASE_MS + 1000), { mailer })).toEqual({ sent: 2, retrying: 0, failed: 0 });
    mailer.close();
    // The emails the crash left unmarked went again, identical in Message-ID and idempotency key, which is how a
    // receiving mailbox tells a re-send from a new email: per event and recipient there is one message.
    expect(smtp.received).toHaveLength(2 + beforeCrash);
    const byId = new Map(smtp.received.map((m) => [m.messageId, header(m)]));
    expect(byId.size).toBe(2);
    const rows = await prisma.notification.findMany();
    expect(new Set(byId.values())).toEqual(new Set(rows.map((r) => r.idempotencyKey)));
    expect(rows.every((r) => r.status === "sent")).toBe(true);
  });

  it("of 30 emails, a kill -9 mid-delivery leaves at most one small claim to re-send, each as the same message", async () => {
    await makeNotifications(30);
    await crashSender(smtp.url, T0);
    const prisma = await testPrisma();
    const held = await prisma.notification.count({ where: { attempts: 1, status: "pending" } });
    const bound = claimSize(smtpMailer(smtp.url));
    expect(bound).toBe(10);
    expect(held).toBeLessThanOrEqual(bound);
    const beforeCrash = smtp.received.length;
    const mailer = smtpMailer(smtp.url);
    expect((await deliverOutbox(at(CLAIM_LEASE_MS + 1000), { mailer })).sent).toBe(30);
    mailer.close();
    const counts = arrivals(smtp.received);
    expect(counts.size).toBe(30);
    // Only what left before the crash went twice, and never more than one claim's worth.
    expect(smtp.received.length - 30).toBe(beforeCrash);
    expect(beforeCrash).toBeLessThanOrEqual(bound);
  });

  it("file outbox: the email written before the crash is not written again", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "rekey-crash-"));
    try {
      const org = await makeOrg();
      const { key } = await makeKey(org.id);
      await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
      await crashSender(folder, T0);
      expect(readdirSync(folder).filter((f) => f.endsWith(".eml"))).toHaveLength(1);
      const result = await deliverOutbox(at(CLAIM_LEASE_MS + 1000), { mailer: fileMailer(folder) });
      expect(result.sent).toBe(2);
      expect(readdirSync(folder).filter((f) => f.endsWith(".eml"))).toHaveLength(2);
      expect(readdirSync(folder).filter((f) => f.endsWith(".tmp"))).toHaveLength(0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

// Two senders at once need two connections: the PostgreSQL server.
describe.skipIf(testDatabaseKind !== "postgres")("the outbox under a slow, a stuck and a late sender", () => {
  it("a slow mail server and a second sender waiting for expired leases: no email goes twice", async () => {
    await makeNotifications(10);
    // 1.6 s a message, 5 at a time: the one claim of 10 would need 3.2 s, longer than its 3 s lease; a send may take
    // 2.4 s (room for a loaded machine), so the claim's second half must not start (it could not finish in the
    // lease): it is released.
    smtp.slow(1600);
    const options = { leaseMs: 3000, sendTimeoutMs: 2400 };
    const prisma = await testPrisma();
    const sender = async (startAfterMs: number) => {
      await new Promise((r) => setTimeout(r, startAfterMs));
      const mailer = smtpMailer(smtp.url);
      try {
        // The second sender finds nothing due at first and asks again every 20 ms: it takes a row the moment its lease ends.
        for (let i = 0; i < 1000 && (await prisma.notification.count({ where: { status: { not: "sent" } } })) > 0; i++) {
          await deliverOutbox(new Date(), { mailer, ...options });
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        mailer.close();
      }
    };
    await Promise.all([sender(0), sender(100)]);
    const counts = arrivals(smtp.received);
    expect(counts.size).toBe(10);
    expect([...counts.entries()].filter(([, c]) => c > 1)).toEqual([]);
    // The released messages were not failed: each has the one attempt that sent it.
    const rows = await prisma.notification.findMany();
    expect(rows.filter((r) => r.status !== "sent" || r.attempts !== 1 || r.claimToken !== null).map((r) => [r.status, r.attempts, r.lastError])).toEqual([]);
  }, 60_000);

  it("a stuck mail server: each send gives up at its timeout, nothing is sent twice, and all go once it answers again", async () => {
    await makeNotifications(12);
    smtp.hang(true);
    const mailer = smtpMailer(smtp.url);
    const started = Date.now();
    const first = await deliverOutbox(T0, { mailer, leaseMs: 5000, sendTimeoutMs: 300 });
    // Two claims (10, then 2), each send given up at 300 ms, well inside the lease.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(first).toEqual({ sent: 0, retrying: 12, failed: 0 });
    const prisma = await testPrisma();
    const rows = await prisma.notification.findMany();
    expect(rows.filter((r) => r.status !== "pending" || r.attempts !== 1 || !/no answer from the mail server within 300 ms/.test(r.lastError ?? ""))).toEqual(
      [],
    );
    smtp.hang(false);
    expect(await deliverOutbox(at(retryDelayMs(1)), { mailer })).toEqual({ sent: 12, retrying: 0, failed: 0 });
    mailer.close();
    const counts = arrivals(smtp.received);
    expect(counts.size).toBe(12);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  }, 30_000);

  it("a late sender cannot mark rows another sender took over after its lease: the other's 'sent' stands", async () => {
    await makeNotifications(2);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // A sender that stalls (a pause, a partition), then fails: without fencing it would put the rows back to retry.
    const stalled: Mailer = {
      kind: "smtp",
      describe: "stalled",
      concurrency: 5,
      send: async () => {
        await gate;
        throw new Error("connection reset");
      },
      close: () => {},
    };
    const late = deliverOutbox(T0, { mailer: stalled, leaseMs: 1000, sendTimeoutMs: 400 });
    const prisma = await testPrisma();
    const t = Date.now();
    while ((await prisma.notification.count({ where: { claimToken: { not: null } } })) < 2 && Date.now() - t < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(await prisma.notification.count({ where: { claimToken: { not: null } } })).toBe(2);
    // After its lease, another sender takes the rows and delivers them.
    const mailer = smtpMailer(smtp.url);
    expect(await deliverOutbox(at(2000), { mailer })).toEqual({ sent: 2, retrying: 0, failed: 0 });
    mailer.close();
    release();
    expect(await late).toEqual({ sent: 0, retrying: 0, failed: 0 });
    const rows = await prisma.notification.findMany();
    expect(rows.map((r) => [r.status, r.lastError, r.attempts])).toEqual([
      ["sent", null, 2],
      ["sent", null, 2],
    ]);
    expect(smtp.received).toHaveLength(2);
  });
});
