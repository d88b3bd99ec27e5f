import { expect, test } from "@playwright/test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { simpleParser } from "mailparser";

// The server runs without SMTP_URL, so its mail is in the file outbox of its data folder.
const MAIL = ".e2e-data/mail";
const CUSTOMER = "platform@acme.example";

async function latestSignInLink(to: string, after: number): Promise<string | null> {
  if (!existsSync(MAIL)) return null;
  const files = readdirSync(MAIL)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => path.join(MAIL, f))
    .filter((f) => statSync(f).mtimeMs >= after)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  for (const file of files) {
    const mail = await simpleParser(readFileSync(file));
    const rcpt = (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address));
    if (mail.subject === "Sign in to rekey" && rcpt.includes(to)) return /https?:\/\/\S+\/api\/auth\/callback\/email\S+/.exec(mail.text ?? "")?.[0] ?? null;
  }
  return null;
}

test("a customer signs in with an emailed link, once, and gets a 403 on a staff page", async ({ page }) => {
  const asked = Date.now() - 1000;
  await page.goto("/signin");
  const form = page.getByRole("form", { name: "Email me a sign-in link" });
  await form.getByLabel("Email").fill(CUSTOMER);
  await form.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("status")).toContainText("a sign-in link is on its way");
  await page.screenshot({ path: "e2e/screenshots/signin-link-sent.png", fullPage: true });

  let link: string | null = null;
  await expect.poll(async () => (link = await latestSignInLink(CUSTOMER, asked)), { timeout: 10_000 }).not.toBeNull();
  await page.goto(link!);
  await expect(page.getByText(`${CUSTOMER} · customer`)).toBeVisible();

  const staff = await page.goto("/dashboard/keys");
  expect(staff?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("You do not have access to this page");

  // The link worked once: used again, it is refused.
  const again = await page.context().browser()!.newContext();
  const other = await again.newPage();
  await other.goto(link!);
  await expect(other).toHaveURL(/\/signin\?.*error=Verification/);
  await expect(other.getByRole("alert").filter({ hasText: "expired or was already used" })).toBeVisible();
  await again.close();
});

test("an unknown address gets the same answer and no email", async ({ page }) => {
  const asked = Date.now() - 1000;
  await page.goto("/signin");
  const form = page.getByRole("form", { name: "Email me a sign-in link" });
  await form.getByLabel("Email").fill("nobody@unknown.example");
  await form.getByRole("button", { name: "Email me a sign-in link" }).click();
  await expect(page.getByRole("status")).toContainText("a sign-in link is on its way");
  expect(await latestSignInLink("nobody@unknown.example", asked)).toBeNull();
});
