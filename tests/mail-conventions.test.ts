import { afterEach, describe, expect, it } from "vitest";
import { simpleParser } from "mailparser";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileMailer, mailDomain, messageIdFor } from "../lib/notifications/mailer";
import { renderEmail, type TemplateName } from "../lib/notifications/templates";

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

  // SpamAssassin's rules for the HTML itself (-L: no network tests). CI installs it (Debian's package); elsewhere the
  // check runs where it is installed.
  const spamassassin = spawnSync("spamassassin", ["--version"]).status === 0;
  it.runIf(spamassassin || process.env.CI)(
    "trips none of SpamAssassin's HTML rules: no text close to its background colour",
    async () => {
      process.env.REKEY_PUBLIC_URL = "https://keys.example.com";
      delete process.env.MAIL_FROM;
      const context = {
        appUrl: "https://keys.example.com",
        portalUrl: "https://keys.example.com/portal",
        organizationName: "Acme Logistics",
        keyPrefix: "rk_live_AbCdEfGh",
        environment: "live",
        deadlineLocal: "Tue, 8 Dec 2026, 11:45 CET",
        deadlineUtc: "Tue, 8 Dec 2026, 10:45 UTC",
        startsLocal: "Mon, 7 Dec 2026, 11:45 CET",
        startsUtc: "Mon, 7 Dec 2026, 10:45 UTC",
        timeZone: "Europe/Berlin",
        lastUsedAgo: "2 hours ago",
        alerts: [
          { kind: "overdue", severity: "warning", message: "Key rk_live_AbCdEfGh is past its maximum age.", url: "https://keys.example.com/dashboard/alerts" },
        ],
        alertCount: 1,
        alertsUrl: "https://keys.example.com/dashboard/alerts",
        signInUrl: "https://keys.example.com/api/auth/callback/email?token=t",
        linkMinutes: 15,
        periodLabel: "November 2026",
        reportUrl: "https://keys.example.com/dashboard/reports",
      };
      const names: TemplateName[] = [
        "rotation_notice",
        "rotation_started",
        "emergency_rotation",
        "rotation_reminder",
        "key_revoked",
        "alert_digest",
        "monthly_report",
        "sign_in",
      ];
      for (const name of names) {
        const folder = mkdtempSync(path.join(tmpdir(), "rekey-mail-"));
        const email = await renderEmail(name, context);
        await fileMailer(folder).send({ to: "ops@example.com", ...email, idempotencyKey: `${name}:r1:ops@example.com` });
        const [file] = readdirSync(folder);
        const report = spawnSync("spamassassin", ["-t", "-L"], { input: readFileSync(path.join(folder, file)), encoding: "utf8" });
        expect(report.error, "spamassassin runs (Debian's package spamassassin)").toBeUndefined();
        const rules = [...report.stdout.matchAll(/^\s*-?\d+\.\d+\s+([A-Z0-9_]+)\s/gm)].map((m) => m[1]);
        expect(rules.length, `${name}: SpamAssassin's report`).toBeGreaterThan(0);
        expect(
          rules.filter((r) => r.startsWith("HTML_")),
          `${name}: ${rules.join(", ")}`,
        ).toEqual(["HTML_MESSAGE"]);
      }
    },
    120_000,
  );
});
