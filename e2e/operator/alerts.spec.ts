import { expect, test } from "@playwright/test";

// Alerts are raised by the cron (issue 4); acknowledging and resolving are covered by Vitest until then.
test("an operator sees the alerts page with its empty state", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await expect(page.getByRole("link", { name: "open (0)" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByText("No open alerts. Nothing needs you right now.")).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/alerts-empty.png" });
});

test("an operator gets a 403 page for user management", async ({ page }) => {
  const res = await page.goto("/dashboard/users");
  expect(res?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You do not have access to this page" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
});

test("an operator gets a 403 for reports and for a report download", async ({ page }) => {
  expect((await page.goto("/dashboard/reports"))?.status()).toBe(403);
  const file = await page.request.get("/dashboard/reports/download/audit-log.jsonl?period=last-month");
  expect(file.status()).toBe(403);
});
