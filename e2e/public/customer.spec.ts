import { expect, test } from "@playwright/test";
import { latestSignInLink } from "../support/mail";

const CUSTOMER = "platform@acme.example";

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
