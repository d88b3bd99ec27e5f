import { expect, test } from "@playwright/test";
import { expectAccessible } from "../support/axe";
import { authFile } from "../support/accounts";

test("the Secrets page shows how many keys each hashing secret version holds, and no secret", async ({ browser }) => {
  // A page of its own context: axe-core needs one (PLATFORM.md).
  const context = await browser.newContext({ storageState: authFile("admin") });
  const page = await context.newPage();
  await page.goto("/dashboard/secrets");
  await expect(page.getByRole("heading", { level: 1, name: "Secrets" })).toBeVisible();
  const table = page.getByRole("table", { name: /Hashing secret versions \(current: 1/ });
  const row = table.getByRole("row").filter({ has: page.getByText("current", { exact: true }) });
  await expect(row).toHaveCount(1);
  // The demo world's keys were all hashed under the one generated secret: version 1.
  const inUse = Number((await row.getByRole("cell").nth(2).innerText()).replace(/,/g, ""));
  expect(inUse).toBeGreaterThan(0);
  // npm start records when the current version became current.
  await expect(row.getByRole("cell").nth(5)).toHaveText(/ago$/);
  await expect(page.getByText(/Session cookies are signed with their own secret/)).toBeVisible();
  // The data secret and the checkpoint key: counts and key ids only.
  await expect(page.getByRole("heading", { name: "Multi-factor secrets" })).toBeVisible();
  await expect(page.getByText("Under a previous one (moves at next sign-in)")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Audit checkpoints" })).toBeVisible();
  // The running app journals the demo world's revoked keys outside the database.
  await expect(page.getByText(/revocation-journal\.jsonl: [1-9][\d,]* revoked key\(s\), last written/)).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/secrets.png", fullPage: true });
  await expectAccessible(page);
  await context.close();
});
