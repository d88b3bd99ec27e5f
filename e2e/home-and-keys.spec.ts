import { expect, test } from "@playwright/test";

test("the home page says what rekey is and shows the demo world's figures", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("No API key lives forever.");
  await expect(page.getByText("Organizations")).toBeVisible();
  const orgFigure = page.locator(".card", { hasText: "Organizations" }).locator(".figure");
  // The demo world has six; other tests in this run may add their own.
  expect(Number(await orgFigure.innerText())).toBeGreaterThanOrEqual(6);
  await page.screenshot({ path: "e2e/screenshots/home.png", fullPage: true });
});

test("the keys list shows the demo keys and filters to keys in grace", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "See all keys" }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys$/);
  await expect(page.getByRole("heading", { name: "Keys", level: 1 })).toBeVisible();
  const total = page.getByText(/^[\d,]+ keys$/);
  expect(Number((await total.innerText()).replace(/\D/g, ""))).toBeGreaterThanOrEqual(330);
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(51); // header + a page of 50
  await expect(page.getByRole("cell", { name: "Acme Logistics" }).first()).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/keys.png", fullPage: true });

  await page.getByRole("navigation", { name: "Filter by status" }).getByRole("link", { name: "In grace" }).click();
  await expect(page).toHaveURL(/status=expiring/);
  const inGrace = Number((await page.getByText(/^[\d,]+ keys$/).innerText()).replace(/\D/g, ""));
  expect(inGrace).toBeGreaterThanOrEqual(8);
  await expect(rows).toHaveCount(inGrace + 1);
  for (const row of await rows.all().then((r) => r.slice(1))) {
    await expect(row.getByText("expiring")).toBeVisible();
    await expect(row.getByText(/ends .* UTC/)).toBeVisible();
  }

  await page.getByRole("link", { name: "All" }).click();
  await page.getByRole("link", { name: "Next →" }).click();
  await expect(page.getByText(/^Page 2 of \d+$/)).toBeVisible();
});

test("the keys list reads well on a phone", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/dashboard/keys");
  await expect(page.getByRole("heading", { name: "Keys", level: 1 })).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/keys-phone.png" });
});
