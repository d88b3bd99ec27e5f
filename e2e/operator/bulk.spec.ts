import { expect, test } from "@playwright/test";

test("an operator schedules a rotation for every overdue key of one organization in one go", async ({ page }) => {
  await page.goto("/dashboard/keys");
  const filters = page.getByRole("form", { name: "Filters" });
  await filters.getByLabel("Organization").selectOption({ label: "Tyrell Robotics" });
  await filters.getByLabel("past max age only").check();
  await filters.getByRole("button", { name: "Apply" }).click();
  const total = Number((await page.getByText(/^[\d,]+ keys$/).innerText()).replace(/\D/g, ""));
  expect(total).toBeGreaterThan(0);
  await page.getByRole("button", { name: `Schedule rotation for all ${total} matching keys…` }).click();
  const dialog = page.getByRole("dialog");
  const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
  await dialog.getByLabel("Starts at (your time)").fill(new Date(inThreeDays.getTime() - inThreeDays.getTimezoneOffset() * 60_000).toISOString().slice(0, 16));
  await dialog.getByLabel("Reason").fill("catch up on overdue keys");
  await page.screenshot({ path: "e2e/screenshots/bulk-dialog.png" });
  await dialog.getByRole("button", { name: `Schedule ${total} rotations` }).click();
  await expect(page.getByRole("status").filter({ hasText: /Scheduled \d+ rotations?\./ })).toBeVisible();
  // Every matching key that was active without a rotation now shows a scheduled one.
  for (const row of (await page.getByRole("table").getByRole("row").all()).slice(1)) {
    if ((await row.getByRole("cell").nth(5).innerText()).trim() === "active") await expect(row.getByText("scheduled")).toBeVisible();
  }
});
