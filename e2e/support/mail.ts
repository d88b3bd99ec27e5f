import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { expect, type Page } from "@playwright/test";

// The test server runs without SMTP_URL, so its mail is in the file outbox of its data folder.
const MAIL = ".e2e-data/mail";

/** The newest email to `to` written since `after` (ms) whose subject matches, parsed; null if none yet. */
export async function latestMail(to: string, after: number, subject: RegExp, folder = MAIL): Promise<ParsedMail | null> {
  if (!existsSync(folder)) return null;
  const files = readdirSync(folder)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => path.join(folder, f))
    .filter((f) => statSync(f).mtimeMs >= after)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of files) {
    const mail = await simpleParser(readFileSync(file));
    const rcpt = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address));
    if (subject.test(mail.subject ?? "") && rcpt.includes(to)) return mail;
  }
  return null;
}

/** The link of the newest "Sign in to rekey" email to `to` since `after` (in another instance's mail `folder` if given). */
export async function latestSignInLink(to: string, after: number, folder = MAIL): Promise<string | null> {
  const mail = await latestMail(to, after, /^Sign in to rekey$/, folder);
  return mail ? (/https?:\/\/\S+\/api\/auth\/callback\/email\S+/.exec(mail.text ?? "")?.[0] ?? null) : null;
}

/** Signs `email` in on `page` with an emailed link, starting from wherever the page was sent to sign in. */
export async function signInWithLink(page: Page, email: string) {
  const asked = Date.now() - 1000;
  const form = page.getByRole("form", { name: "Email me a sign-in link" });
  await form.getByLabel("Email").fill(email);
  await form.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("status")).toContainText("a sign-in link is on its way");
  let link: string | null = null;
  await expect.poll(async () => (link = await latestSignInLink(email, asked)), { timeout: 10_000 }).not.toBeNull();
  await page.goto(link!);
}
