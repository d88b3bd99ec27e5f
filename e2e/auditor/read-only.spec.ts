import { expect, test } from "@playwright/test";

test("an auditor reads keys and their timelines but gets no action buttons", async ({ page }) => {
  await page.goto("/dashboard/keys?status=expiring");
  await page.getByRole("table").getByRole("row").nth(1).getByRole("link").click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("expiring");
  await expect(page.getByRole("region", { name: "Timeline" })).toBeVisible();
  // During grace: the old key's and the new key's traffic per hour.
  await expect(page.getByRole("region", { name: "Migration" })).toContainText("Verifications per hour, last 48 hours");
  await expect(page.getByRole("region", { name: "Actions" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: /rotate|roll back|cancel/i })).toHaveCount(0);
  await page.screenshot({ path: "e2e/screenshots/key-detail-auditor.png", fullPage: true });
});

test("an auditor reads the policies but gets no form to change them", async ({ page }) => {
  await page.goto("/dashboard/policies");
  await expect(page.getByRole("heading", { name: "Rotation policies" })).toBeVisible();
  await expect(page.getByRole("form")).toHaveCount(0);
  await expect(page.getByText("Max key age").first()).toBeVisible();
});
