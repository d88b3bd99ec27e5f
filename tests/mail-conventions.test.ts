import { afterEach, describe, expect, it } from "vitest";
import { simpleParser } from "mailparser";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileMailer, mailDomain, messageIdFor } from "../lib/notifications/mailer";

const saved = { MAIL_FROM: process.env.MAIL_FROM, REKEY_PUBLIC_URL: process.env.REKEY_PUBLIC_URL };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("what every email carries", () => {
  it("a Message-ID on MAIL_FROM's domain, else on the public URL's host, never a made-up localhost", () => {
    delete process.env.MAIL_FROM;
    process.env.REKEY_PUBLIC_URL = "https://keys.example.com/";
    expect(mailDomain()).toBe("keys.example.com");
    expect(messageIdFor("k1")).toMatch(/^<[0-9a-f]{40}@keys\.example\.com>$/);
    process.env.MAIL_FROM = "Acme keys <no-reply@mail.example.org>";
    expect(mailDomain()).toBe("mail.example.org");
    // The same event and recipient, the same Message-ID (a re-send after a crash is one message).
    expect(messageIdFor("k1")).toBe(messageIdFor("k1"));
    expect(messageIdFor("k1")).not.toBe(messageIdFor("k2"));
  });

  it("says it is machine-sent (RFC 3834 Auto-Submitted), so auto-responders stay quiet", async () => {
    process.env.REKEY_PUBLIC_URL = "https://keys.example.com";
    delete process.env.MAIL_FROM;
    const folder = mkdtempSync(path.join(tmpdir(), "rekey-mail-"));
    await fileMailer(folder).send({ to: "ops@example.com", subject: "s", html: "<p>h</p>", text: "h", idempotencyKey: "rotation_notice:r1:ops@example.com" });
    const [file] = readdirSync(folder);
    const mail = await simpleParser(readFileSync(path.join(folder, file)));
    expect(mail.headers.get("auto-submitted")).toBe("auto-generated");
    expect(mail.headers.get("x-auto-response-suppress")).toBe("All");
    expect(mail.messageId).toMatch(/@keys\.example\.com>$/);
  });
});
