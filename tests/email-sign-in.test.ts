import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { simpleParser } from "mailparser";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "./support/database";
import { makeOrg } from "./support/fixtures";
import { MAX_LINKS_PER_WINDOW, rekeyAdapter, sendSignInLink } from "../lib/auth/email-sign-in";

useTestDatabase();

const folder = mkdtempSync(path.join(tmpdir(), "rekey-signin-"));
beforeAll(() => {
  process.env.REKEY_DATA_DIR = folder; // the file outbox: ./data/mail
});
afterAll(() => {
  delete process.env.REKEY_DATA_DIR;
  rmSync(folder, { recursive: true, force: true });
});
beforeEach(async () => {
  await resetTestData();
  rmSync(path.join(folder, "mail"), { recursive: true, force: true });
});

const mails = async () => {
  const dir = path.join(folder, "mail");
  try {
    return await Promise.all(readdirSync(dir).map((f) => simpleParser(readFileSync(path.join(dir, f)))));
  } catch {
    return [];
  }
};

async function users() {
  const org = await makeOrg();
  const prisma = await testPrisma();
  await prisma.user.createMany({
    data: [
      { email: "cust@example.com", role: "customer", organizationId: org.id },
      { email: "gone@example.com", role: "customer", organizationId: org.id, disabledAt: new Date() },
      { email: "lead@example.com", role: "admin" },
    ],
  });
}

describe("customer sign-in links", () => {
  it("are emailed to active customers only; staff, disabled and unknown addresses get nothing, all audited", async () => {
    await users();
    const url = "http://localhost:3000/api/auth/callback/email?token=abc123&email=cust%40example.com";
    const now = new Date("2026-11-22T10:00:00Z");
    for (const email of ["cust@example.com", "gone@example.com", "lead@example.com", "nobody@example.com"]) await sendSignInLink(email, url, now);
    const sent = await mails();
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toBe("Sign in to rekey");
    expect(sent[0].text).toContain(url);
    expect(sent[0].text).toContain("expires in 60 minutes");
    const prisma = await testPrisma();
    const events = await prisma.auditEvent.findMany({ where: { action: { startsWith: "auth.sign_in_link" } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.outcome, e.reason])).toEqual([
      ["auth.sign_in_link_sent", "success", null],
      ["auth.sign_in_link_refused", "denied", "account disabled"],
      ["auth.sign_in_link_refused", "denied", "staff sign in with a password"],
      ["auth.sign_in_link_refused", "denied", "no such customer"],
    ]);
    // The link (a credential) is nowhere in the database.
    const everything = JSON.stringify([await prisma.auditEvent.findMany(), await prisma.notification.findMany()], (_k, v) =>
      typeof v === "bigint" ? String(v) : v,
    );
    expect(everything).not.toContain("abc123");
  });

  it(`are limited to ${MAX_LINKS_PER_WINDOW} per address in 15 minutes`, async () => {
    await users();
    const t = new Date("2026-11-22T10:00:00Z");
    for (let i = 0; i < MAX_LINKS_PER_WINDOW + 2; i++)
      await sendSignInLink("cust@example.com", `http://x/api/auth/callback/email?token=t${i}`, new Date(t.getTime() + i * 1000));
    expect(await mails()).toHaveLength(MAX_LINKS_PER_WINDOW);
    await sendSignInLink("cust@example.com", "http://x/api/auth/callback/email?token=later", new Date(t.getTime() + 16 * 60_000));
    expect(await mails()).toHaveLength(MAX_LINKS_PER_WINDOW + 1);
  });

  it("work once: the adapter stores only the token's hash and hands it out a single time", async () => {
    await users();
    const hashed = createHash("sha256").update("raw-token-and-secret").digest("hex");
    const expires = new Date(Date.now() + 3_600_000);
    await rekeyAdapter.createVerificationToken!({ identifier: "cust@example.com", token: hashed, expires });
    expect(await rekeyAdapter.useVerificationToken!({ identifier: "cust@example.com", token: hashed })).toMatchObject({ identifier: "cust@example.com" });
    expect(await rekeyAdapter.useVerificationToken!({ identifier: "cust@example.com", token: hashed })).toBeNull();
    expect(await rekeyAdapter.getUserByEmail!("CUST@example.com")).toMatchObject({ email: "cust@example.com", role: "customer" });
    expect(await rekeyAdapter.getUserByEmail!("gone@example.com")).toBeNull();
    await expect(rekeyAdapter.createUser!({ id: "x", email: "new@example.com", emailVerified: null })).rejects.toThrow(/does not create users/);
  });
});
