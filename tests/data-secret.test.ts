import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { Secret, TOTP } from "otpauth";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { T0 } from "./support/fixtures";
import { createUsers } from "../lib/auth/users";
import { confirmMfaEnrolment, mfaSecretsByDataSecret, startMfaEnrolment, useSecondFactor } from "../lib/auth/mfa";
import { inTransaction } from "../lib/db";
import { reloadSecrets, sealedUnderCurrent } from "../lib/secret";
import { createWebhookEndpoint, queueTestEvent, resealWebhookSecrets, rotateWebhookSecret } from "../lib/webhooks/mutations";
import { webhookSecretsByDataSecret } from "../lib/webhooks/queries";
import { deliverWebhooks } from "../lib/webhooks/deliver";

// Issue 20, item 2: the data secret (it seals staff TOTP seeds and keys recovery-code hashes) rotates on its own,
// with an overlap: nothing sealed under the previous one stops working while it is configured, and seeds move by use.
useTestDatabase();
beforeEach(resetTestData);

const A = "data-secret-A-0123456789abcdef0123456789";
const B = "data-secret-B-0123456789abcdef0123456789";
const original = { current: process.env.REKEY_DATA_SECRET, previous: process.env.REKEY_DATA_SECRET_PREVIOUS };
function configure(current: string, previous?: string) {
  process.env.REKEY_DATA_SECRET = current;
  if (previous) process.env.REKEY_DATA_SECRET_PREVIOUS = previous;
  else delete process.env.REKEY_DATA_SECRET_PREVIOUS;
  reloadSecrets();
}
afterAll(() => {
  process.env.REKEY_DATA_SECRET = original.current;
  if (original.previous === undefined) delete process.env.REKEY_DATA_SECRET_PREVIOUS;
  else process.env.REKEY_DATA_SECRET_PREVIOUS = original.previous;
  reloadSecrets();
});

const PASSWORD = "correct horse battery staple";
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const codeAt = (secret: string, when: Date) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: when.getTime() });

async function enrolled(email: string) {
  const [u] = await createUsers([{ email, role: "operator", password: PASSWORD }], { actor: "bootstrap", now: T0 });
  const { secret } = await startMfaEnrolment(u.id, { currentPassword: PASSWORD }, at(0));
  const { recoveryCodes } = await confirmMfaEnrolment(u.id, { code: codeAt(secret, at(0)) }, null, at(0));
  return { id: u.id, secret, recoveryCodes };
}
const second = (userId: string, code: string, when: Date) => inTransaction((tx) => useSecondFactor(tx, userId, code, when));
async function sealed(userId: string) {
  const prisma = await testPrisma();
  return (await prisma.user.findUniqueOrThrow({ where: { id: userId }, omit: { totpSecret: false } })).totpSecret!;
}

describe("rotating the data secret", () => {
  it("keeps every seed and recovery code working through the overlap, re-seals seeds at sign-in, and counts what is left", async () => {
    configure(A);
    const early = await enrolled("early@example.com");
    const late = await enrolled("late@example.com");
    expect(await mfaSecretsByDataSecret()).toEqual({ current: 2, previous: 0, unreadable: 0 });

    // B becomes current, A stays as previous: both people can still sign in.
    configure(B, A);
    expect(await mfaSecretsByDataSecret()).toEqual({ current: 0, previous: 2, unreadable: 0 });
    expect(sealedUnderCurrent(await sealed(early.id))).toBe(false);
    expect(await second(early.id, codeAt(early.secret, at(60)), at(60))).toMatchObject({ ok: true, kind: "authenticator code" });
    expect(sealedUnderCurrent(await sealed(early.id))).toBe(true); // moved by use
    expect(await mfaSecretsByDataSecret()).toEqual({ current: 1, previous: 1, unreadable: 0 });
    // A recovery code made under A works during the overlap.
    expect(await second(late.id, late.recoveryCodes[0], at(90))).toMatchObject({ ok: true, kind: "recovery code" });

    // A removed: the moved seed works; the one still under A does not (and the page says how many), nor do A's recovery codes.
    configure(B);
    expect(await second(early.id, codeAt(early.secret, at(120)), at(120))).toMatchObject({ ok: true });
    expect(await mfaSecretsByDataSecret()).toEqual({ current: 1, previous: 0, unreadable: 1 });
    expect(await second(late.id, codeAt(late.secret, at(120)), at(120))).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer configured/) });
    expect(await second(late.id, late.recoveryCodes[1], at(150))).toEqual({ ok: false, reason: "wrong or used recovery code" });

    // Putting A back restores them: nothing was destroyed.
    configure(B, A);
    expect(await second(late.id, codeAt(late.secret, at(180)), at(180))).toMatchObject({ ok: true });
  });

  it("refuses a previous data secret shorter than the minimum, naming it", async () => {
    configure(B, "short");
    await expect(mfaSecretsByDataSecret()).rejects.toThrow(/REKEY_DATA_SECRET_PREVIOUS must be at least/);
    configure(B);
  });
});

describe("webhook signing secrets through a data-secret rotation", () => {
  it("still sign under the previous data secret, move to the current one at the cron's reseal, and are counted on the way", async () => {
    process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE = "1";
    try {
      configure(A);
      const { endpoint } = await createWebhookEndpoint({ url: "http://127.0.0.1:9/hooks" }, { actor: "user:admin", now: T0 });
      await rotateWebhookSecret(endpoint.id, { actor: "user:admin", now: T0 }); // a current and a previous secret, both sealed under A
      expect(await webhookSecretsByDataSecret()).toEqual({ current: 2, previous: 0, unreadable: 0 });
      configure(B, A);
      expect(await webhookSecretsByDataSecret()).toEqual({ current: 0, previous: 2, unreadable: 0 });
      // Still signs (the receiver at port 9 refuses the connection: the failure is the network's, not the secret's).
      await queueTestEvent(endpoint.id, { actor: "user:admin", now: at(1) });
      await deliverWebhooks(at(1));
      const prisma = await testPrisma();
      expect((await prisma.webhookDelivery.findFirstOrThrow()).lastError).toMatch(/ECONNREFUSED/);
      expect(await resealWebhookSecrets()).toBe(1);
      expect(await webhookSecretsByDataSecret()).toEqual({ current: 2, previous: 0, unreadable: 0 });
      expect(await resealWebhookSecrets()).toBe(0);
      // Now A can go: nothing is left on it.
      configure(B);
      expect(await webhookSecretsByDataSecret()).toEqual({ current: 2, previous: 0, unreadable: 0 });
      configure(A);
      expect(await webhookSecretsByDataSecret()).toEqual({ current: 0, previous: 0, unreadable: 2 });
    } finally {
      delete process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE;
    }
  });
});
