import { expect, test } from "@playwright/test";

test("the admin sees the demo keys, filters to keys in grace, and pages through", async ({ page }) => {
  await page.goto("/");
  const orgFigure = page.locator(".card", { hasText: "Organizations" }).locator(".figure");
  expect(Number(await orgFigure.innerText())).toBeGreaterThanOrEqual(6); // other tests may add their own
  await page.screenshot({ path: "e2e/screenshots/home.png", fullPage: true });
  await page.getByRole("link", { name: "See all keys" }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys$/);
  const total = page.getByText(/^[\d,]+ keys$/);
  expect(Number((await total.innerText()).replace(/\D/g, ""))).toBeGreaterThanOrEqual(330);
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(51); // header + a page of 50
  await page.screenshot({ path: "e2e/screenshots/keys.png", fullPage: true });

  await page.getByRole("navigation", { name: "Filter by status" }).getByRole("link", { name: "In grace" }).click();
  await expect(page).toHaveURL(/status=expiring/);
  const inGrace = Number((await page.getByText(/^[\d,]+ keys$/).innerText()).replace(/\D/g, ""));
  expect(inGrace).toBeGreaterThanOrEqual(8);
  await expect(rows).toHaveCount(inGrace + 1);
  for (const row of (await rows.all()).slice(1)) {
    await expect(row.getByText("expiring")).toBeVisible();
    await expect(row.getByText(/ends .* UTC/)).toBeVisible();
  }
  await page.getByRole("link", { name: "All" }).click();
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page.getByText(/^Page 2 of \d+$/)).toBeVisible();
});

test("the admin emergency-rotates a key with revoke now and sees it revoked", async ({ page }) => {
  await page.goto("/dashboard/keys?status=active");
  const firstKey = page.getByRole("table").getByRole("row").nth(1).getByRole("link");
  const prefix = (await firstKey.innerText()).replace("…", "");
  await firstKey.click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(prefix);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("active");
  await page.screenshot({ path: "e2e/screenshots/key-detail.png", fullPage: true });

  await page.getByRole("button", { name: "Emergency rotate…" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("heading")).toContainText(`Emergency-rotate ${prefix}`);
  await dialog.getByLabel("Reason (required)").fill("found in a public repository");
  await dialog.getByLabel("revoke now").check();
  await page.screenshot({ path: "e2e/screenshots/emergency-dialog.png" });
  await dialog.getByRole("button", { name: "Emergency rotate" }).click();

  await expect(page.getByRole("status")).toHaveText("Emergency rotation done: the old key is revoked.");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("revoked");
  await expect(page.getByRole("region", { name: "Timeline" })).toContainText("found in a public repository");
});
