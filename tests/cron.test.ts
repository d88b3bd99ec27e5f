import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { ADMIN, T0, at, hours, makeKey, makeOrg } from "./support/fixtures";
import { runCron } from "../lib/cron/run";
import { fileMailer, IDEMPOTENCY_HEADER } from "../lib/notifications/mailer";
import { verifyKey } from "../lib/keys/verify";
import { flushUsage } from "../lib/keys/usage";
import { createRotation, postponeRotation } from "../lib/rotations/mutations";
import { verifyAuditChain } from "../lib/audit/verify";
import { ConflictError, NotFoundError } from "../lib/errors";

useTestDatabase();

const DAY = 86_400_000;
const days = (n: number) => n * DAY;
const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

function mailbox() {
  const folder = mkdtempSync(path.join(tmpdir(), "rekey-mail-"));
  folders.push(folder);
  const mailer = fileMailer(folder);
  return {
    mailer,
    async read(): Promise<ParsedMail[]> {
      const files = readdirSync(folder).filter((f) => f.endsWith(".eml"));
      return Promise.all(files.map((f) => simpleParser(readFileSync(path.join(folder, f)))));
    },
  };
}

const to = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => v.address));

async function addAdmin(email = "lead@example.com") {
  const prisma = await testPrisma();
  await prisma.user.create({ data: { email, role: "admin", passwordHash: "x" } });
}

describe("the cron moves a key through its whole life", () => {
  beforeEach(resetTestData);

  it("notice 7 days before max age → start → reminder → deadline → revoked → a revoked-key attempt raises an alert", async () => {
    await addAdmin();
    const box = mailbox();
    const org = await makeOrg("Acme Payments");
    const { key, secret } = await makeKey(org.id);
    const cron = (t: Date) => runCron(t, { delivery: { mailer: box.mailer } });
    const prisma = await testPrisma();

    // Default policy: max age 90 days, notice 7 days, grace 72 hours.
    expect((await cron(at(days(83) - 60_000))).scheduled).toBe(0);
    const noticeRun = await cron(at(days(83)));
    expect(noticeRun.scheduled).toBe(1);
    expect(noticeRun.errors).toEqual([]);
    const rotation = await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id } });
    expect(rotation).toMatchObject({ kind: "scheduled", state: "scheduled", createdBy: "system:cron" });
    // Timed so the old key stops working exactly at max age.
    expect(rotation.scheduledAt.toISOString()).toBe(at(days(90) - hours(72)).toISOString());
    expect(rotation.graceEndsAt!.toISOString()).toBe(at(days(90)).toISOString());

    let mails = await box.read();
    const notices = mails.filter((m) => m.subject?.includes("will be rotated"));
    expect(notices.flatMap(to).sort()).toEqual(["ops@example.com", "security@example.com"]);
    expect(notices[0].subject).toContain(key.prefix);
    expect(notices[0].text).toContain("postpone this rotation by 30 days");
    // The deadline in the customer's zone (Berlin, UTC+2 in April) and in UTC.
    expect(notices[0].text).toContain("5 Apr 2026, 11:00 UTC+2");
    expect(notices[0].text).toContain("5 Apr 2026, 09:00 UTC");
    expect(notices.map((n) => n.headers.get(IDEMPOTENCY_HEADER.toLowerCase())).sort()).toEqual([
      `rotation_notice:${rotation.id}:ops@example.com`,
      `rotation_notice:${rotation.id}:security@example.com`,
    ]);
    // Running again at the same moment does nothing twice.
    const again = await cron(at(days(83)));
    expect(again).toMatchObject({ scheduled: 0, emails: { sent: 0 } });

    const start = await cron(at(days(87)));
    expect(start.rotations.started).toBe(1);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("expiring");
    mails = await box.read();
    expect(mails.filter((m) => m.subject?.startsWith("New API key ready"))).toHaveLength(2);

    // No reminder while the old key is unused in the last day…
    expect((await cron(at(days(89) + hours(1)))).reminders).toBe(0);
    // …one once something still uses it within a day of the deadline.
    expect((await verifyKey(secret, at(days(89) + hours(2)))).valid).toBe(true);
    await flushUsage();
    const remind = await cron(at(days(89) + hours(3)));
    expect(remind.reminders).toBe(1);
    expect((await cron(at(days(89) + hours(4)))).reminders).toBe(0);
    mails = await box.read();
    const reminders = mails.filter((m) => m.subject?.startsWith("Reminder"));
    expect(reminders).toHaveLength(2);
    expect(reminders[0].text).toMatch(/still used 1 hour ago/);
    expect(await prisma.alert.count({ where: { kind: "old_key_in_use", keyId: key.id, status: "open" } })).toBe(1);
    // The admin got a digest naming the alert.
    const digests = mails.filter((m) => m.subject?.includes("new alert"));
    expect(digests.flatMap(to)).toEqual(["lead@example.com"]);
    expect(digests[0].text).toContain(key.prefix);

    const end = await cron(at(days(90)));
    expect(end.rotations.completed).toBe(1);
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("revoked");
    expect(end.alerts.resolved).toBeGreaterThanOrEqual(1);
    expect(await prisma.alert.count({ where: { kind: "old_key_in_use", keyId: key.id, status: "open" } })).toBe(0);
    mails = await box.read();
    expect(mails.filter((m) => m.subject?.includes("has been revoked"))).toHaveLength(2);

    // The revoked key is tried: the verifier raises an alert by itself.
    expect(await verifyKey(secret, at(days(90) + hours(1)))).toMatchObject({ valid: false, code: "revoked" });
    await flushUsage();
    const alert = await prisma.alert.findFirstOrThrow({ where: { kind: "revoked_key_used", keyId: key.id } });
    expect(alert).toMatchObject({ status: "open", severity: "critical" });

    // No email ever holds a key; each event and recipient got exactly one.
    mails = await box.read();
    for (const m of mails) {
      expect(m.text ?? "").not.toContain(secret);
      expect(String(m.html)).not.toContain(secret);
      expect(`${m.text}${m.html}`).not.toMatch(/rk_(live|test)_[0-9A-Za-z]{40,}/);
    }
    const ids = mails.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    const notifications = await prisma.notification.findMany();
    expect(notifications.every((n) => n.status === "sent" && n.messageId)).toBe(true);
    expect(notifications).toHaveLength(mails.length);
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
  });

  it("a key past max age raises one alert, resolved by the cron once the key is revoked", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const box = mailbox();
    const prisma = await testPrisma();
    // A staff rotation scheduled late: the key passes its max age before its grace ends.
    await createRotation({ keyId: key.id, kind: "scheduled", scheduledAt: at(days(89)) }, { actor: ADMIN, now: T0 });
    await runCron(at(days(91)), { delivery: { mailer: box.mailer } });
    await runCron(at(days(91) + hours(1)), { delivery: { mailer: box.mailer } });
    expect(await prisma.alert.count({ where: { kind: "key_past_max_age", keyId: key.id } })).toBe(1);
    await runCron(at(days(93)), { delivery: { mailer: box.mailer } });
    expect(await prisma.alert.findFirstOrThrow({ where: { kind: "key_past_max_age", keyId: key.id } })).toMatchObject({ status: "resolved" });
  });

  it("policy waiting for the successor's first use extends the deadline once, with an alert", async () => {
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: "Careful", waitForSuccessorUse: true, gracePeriodHours: 24 } });
    const org = await makeOrg();
    await prisma.organization.update({ where: { id: org.id }, data: { policyId: policy.id } });
    const { key } = await makeKey(org.id);
    const r = await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
    const box = mailbox();
    const first = await runCron(at(hours(24)), { delivery: { mailer: box.mailer } });
    expect(first.rotations).toMatchObject({ extended: 1, completed: 0 });
    const moved = await prisma.rotation.findUniqueOrThrow({ where: { id: r.rotation.id } });
    expect(moved).toMatchObject({ state: "grace", deadlineExtended: true });
    expect(moved.graceEndsAt!.toISOString()).toBe(at(hours(48)).toISOString());
    expect(await prisma.alert.count({ where: { kind: "deadline_extended", rotationId: r.rotation.id } })).toBe(1);
    // Only once: at the new deadline the old key is revoked even though the successor is still unused.
    const second = await runCron(at(hours(48)), { delivery: { mailer: box.mailer } });
    expect(second.rotations).toMatchObject({ extended: 0, completed: 1 });
  });

  it("an emergency rotation is never extended", async () => {
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: "Careful 2", waitForSuccessorUse: true } });
    const org = await makeOrg();
    await prisma.organization.update({ where: { id: org.id }, data: { policyId: policy.id } });
    const { key } = await makeKey(org.id);
    await createRotation({ keyId: key.id, kind: "emergency", reason: "leaked in a public repo" }, { actor: ADMIN, now: T0 });
    const run = await runCron(at(hours(4)), { delivery: { mailer: mailbox().mailer } });
    expect(run.rotations).toMatchObject({ extended: 0, completed: 1 });
  });

  it("two concurrent cron calls schedule, email and alert each thing once", async () => {
    await addAdmin();
    const box = mailbox();
    const org = await makeOrg();
    for (let i = 0; i < 12; i++) await makeKey(org.id);
    const now = at(days(95));
    const [a, b] = await Promise.all([runCron(now, { delivery: { mailer: box.mailer } }), runCron(now, { delivery: { mailer: box.mailer } })]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.scheduled + b.scheduled).toBe(12);
    const prisma = await testPrisma();
    expect(await prisma.rotation.count()).toBe(12);
    expect(await prisma.alert.count({ where: { kind: "key_past_max_age" } })).toBe(12);
    // Overdue keys start at once: notice and "started" for each key and contact, plus one digest.
    await Promise.all([runCron(now, { delivery: { mailer: box.mailer } }), runCron(now, { delivery: { mailer: box.mailer } })]);
    const mails = await box.read();
    const keys = mails.map((m) => String(m.headers.get(IDEMPOTENCY_HEADER.toLowerCase())));
    expect(new Set(keys).size).toBe(keys.length);
    expect(mails.filter((m) => m.subject?.includes("will be rotated"))).toHaveLength(24);
    expect(mails.filter((m) => m.subject?.includes("new alert"))).toHaveLength(1);
    expect(await prisma.notification.count({ where: { status: { not: "sent" } } })).toBe(0);
  });
});

describe("postponing a scheduled rotation", () => {
  beforeEach(resetTestData);

  it("moves it by the policy's period, at most the allowed times, audited and noticed", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    await runCron(at(days(83)), { delivery: { mailer: mailbox().mailer } });
    const prisma = await testPrisma();
    const rotation = await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id } });
    const customer = `user:customer-of-${org.id}` as const;

    const once = await postponeRotation(
      { rotationId: rotation.id, reason: "release freeze" },
      { actor: customer, now: at(days(84)), scope: { organizationId: org.id } },
    );
    expect(once.scheduledAt.toISOString()).toBe(at(days(120) - hours(72)).toISOString());
    const twice = await postponeRotation({ rotationId: rotation.id }, { actor: customer, now: at(days(85)), scope: { organizationId: org.id } });
    expect(twice.graceEndsAt!.toISOString()).toBe(at(days(150)).toISOString());
    const third = postponeRotation({ rotationId: rotation.id }, { actor: customer, now: at(days(86)), scope: { organizationId: org.id } });
    await expect(third).rejects.toThrow(ConflictError);
    await expect(third).rejects.toThrow(/already postponed 2 time\(s\)/);

    const row = await prisma.rotation.findUniqueOrThrow({ where: { id: rotation.id } });
    expect(row.postponements).toBe(2);
    const events = await prisma.auditEvent.findMany({ where: { rotationId: rotation.id, action: "rotation.postponed" }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.actor)).toEqual([customer, customer]);
    expect(events[0].reason).toBe("release freeze");
    expect(await prisma.notification.count({ where: { rotationId: rotation.id, kind: "rotation_notice" } })).toBe(6);
    // The cron leaves a postponed rotation alone until its new time.
    const run = await runCron(at(days(100)), { delivery: { mailer: mailbox().mailer } });
    expect(run.rotations.started).toBe(0);
    expect(run.scheduled).toBe(0);
  });

  it("never past max age plus the postponement allowance, and never another organization's key", async () => {
    const org = await makeOrg();
    const other = await makeOrg();
    const { key } = await makeKey(org.id);
    // Scheduled by hand late (at 100 days): one 30-day postponement fits, the second is cut to the limit.
    const r = await createRotation({ keyId: key.id, kind: "scheduled", scheduledAt: at(days(100)) }, { actor: ADMIN, now: T0 });
    const actor = "user:c" as const;
    await expect(postponeRotation({ rotationId: r.rotation.id }, { actor, now: T0, scope: { organizationId: other.id } })).rejects.toThrow(NotFoundError);
    const first = await postponeRotation({ rotationId: r.rotation.id }, { actor, now: T0, scope: { organizationId: org.id } });
    expect(first.scheduledAt.toISOString()).toBe(at(days(130)).toISOString());
    const second = await postponeRotation({ rotationId: r.rotation.id }, { actor, now: T0, scope: { organizationId: org.id } });
    expect(second.graceEndsAt!.toISOString()).toBe(at(days(150)).toISOString());
    const prisma = await testPrisma();
    const last = await prisma.auditEvent.findFirstOrThrow({ where: { rotationId: r.rotation.id, action: "rotation.postponed" }, orderBy: { seq: "desc" } });
    expect(last.after).toMatchObject({ limitedByMaxAge: true, postponements: 2 });
  });

  it("refuses a rotation already under way, changing nothing", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const r = await createRotation({ keyId: key.id, kind: "manual" }, { actor: ADMIN, now: T0 });
    await expect(postponeRotation({ rotationId: r.rotation.id }, { actor: "user:c", now: T0, scope: { organizationId: org.id } })).rejects.toThrow(
      /only a rotation that has not started/,
    );
    await expect(postponeRotation({ rotationId: "" }, { actor: "user:c", now: T0 })).rejects.toThrow(/rotationId: is required/);
    const prisma = await testPrisma();
    expect(await prisma.auditEvent.count({ where: { action: "rotation.postponed" } })).toBe(0);
  });
});
