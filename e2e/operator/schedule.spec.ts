import { expect, test } from "@playwright/test";

// A browser far from UTC: the dialog asks in UTC, as the page shows every time, so what is typed is what is confirmed.
test.use({ timezoneId: "America/New_York" });

test("an operator schedules a rotation and can cancel it", async ({ page }) => {
  // Newest first (not the default "needs attention"), so the row is a key without a rotation yet.
  await page.goto("/dashboard/keys?status=active&sort=created&page=2");
  await page.getByRole("table").getByRole("row").nth(3).getByRole("link").click();
  await page.getByRole("button", { name: "Schedule rotation…" }).click();
  const dialog = page.getByRole("dialog");
  // No schedule may keep the key working past its max age plus its policy's postponements: the dialog says until when.
  await expect(dialog.getByText(/^No later than \d{4}-\d\d-\d\d \d\d:\d\d UTC/)).toBeVisible();
  await dialog.getByLabel("Starts at (UTC)").fill("2099-01-01T09:00");
  await dialog.getByRole("button", { name: "Schedule" }).click();
  await expect(dialog.getByRole("status")).toContainText(/Starts at: must be no later than \d{4}-/);
  const inTwoDays = new Date(Date.now() + 2 * 86_400_000);
  const utc = inTwoDays.toISOString().slice(0, 16);
  await dialog.getByLabel("Starts at (UTC)").fill(utc);
  await dialog.getByLabel("Reason").fill("quarterly rotation");
  await dialog.getByRole("button", { name: "Schedule" }).click();
  // The refusal's message stays up (in the dialog and on the page) until this answer replaces it.
  await expect(page.getByRole("status").filter({ hasText: `Rotation scheduled for ${utc.replace("T", " ")} UTC.` })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole("region", { name: "Rotation" })).toContainText("scheduled");
  await page.getByRole("button", { name: "Cancel rotation" }).click();
  await expect(page.getByRole("status")).toHaveText("Rotation cancelled.");
  await expect(page.getByRole("region", { name: "Rotation" })).toContainText("No rotation under way.");
});
