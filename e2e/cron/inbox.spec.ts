import { expect, test, type Page } from "@playwright/test";
import { E2E_CRON_SECRET, authFile } from "../support/accounts";
import { expectAccessible } from "../support/axe";

// After cron-and-outbox.spec.ts: the cron has raised the alerts the demo world calls for. Calling it again changes nothing.
async function expectNoOverflow(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
}

test("an admin acknowledges 20 alerts at once, undoes it, and resolves all of one type", async ({ page, request, browser }) => {
  expect((await request.post("/api/cron", { headers: { authorization: `Bearer ${E2E_CRON_SECRET}` } })).status()).toBe(200);
  await page.goto("/dashboard");
  const nav = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: /^Alerts/ });
  const openCount = async () => Number((await nav.innerText()).replace(/\D/g, ""));
  const before = await openCount();
  expect(before).toBeGreaterThanOrEqual(20);
  await nav.click();
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Alert state" }).getByRole("link", { name: `open (${before})` })).toHaveAttribute("aria-current", "page");
  const rows = page.getByRole("table").getByRole("row");
  await expect(rows).toHaveCount(Math.min(before, 50) + 1);
  // Relative times, the exact time on hover.
  await expect(rows.nth(1).locator("time")).toHaveText(/ ago$/);
  await expect(rows.nth(1).locator("time")).toHaveAttribute("title", /\d{4}/);
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/alerts-inbox.png", fullPage: true });

  for (let i = 1; i <= 20; i++) await rows.nth(i).getByRole("checkbox").check();
  await expect(page.getByText("20 selected")).toBeVisible();
  await page.getByRole("button", { name: "Acknowledge selected" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Acknowledged 20 alerts." })).toBeVisible();
  await expect.poll(openCount).toBe(before - 20);
  await page.screenshot({ path: "e2e/screenshots/alerts-acknowledged.png" });
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Undone: 20 alerts open again." })).toBeVisible();
  await expect.poll(openCount).toBe(before);

  // Grouped by type: one type's chip, then all of them resolved after a confirmation.
  const types = page.getByRole("navigation", { name: "Alert types" });
  const typeLink = types.getByRole("link").nth(1);
  const typeCount = Number(((await typeLink.innerText()).match(/\((\d[\d,]*)\)$/) ?? ["", "0"])[1].replace(/,/g, ""));
  await typeLink.click();
  await expect(page).toHaveURL(/kind=/);
  await page.getByRole("button", { name: `Resolve all ${typeCount} matching…` }).click();
  await page.getByRole("button", { name: `Yes, resolve ${typeCount}` }).click();
  await expect(page.getByRole("status").filter({ hasText: `Resolved ${typeCount} alert` })).toBeVisible();
  await expect.poll(openCount).toBe(before - typeCount);

  // At a phone's width: nothing past the right edge, still accessible.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/dashboard/alerts");
  await expectNoOverflow(page);
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/alerts-inbox-phone.png", fullPage: true });

  // An auditor reads the inbox without checkboxes or buttons (the actions refuse auditors too: tests/alert-bulk-actions.test.ts).
  const auditor = await browser.newContext({ storageState: authFile("auditor") });
  const auditorPage = await auditor.newPage();
  await auditorPage.goto("/dashboard/alerts");
  await expect(auditorPage.getByRole("table")).toBeVisible();
  await expect(auditorPage.getByRole("checkbox")).toHaveCount(0);
  await expect(auditorPage.getByRole("button", { name: /Acknowledge|Resolve/ })).toHaveCount(0);
  await auditor.close();
});
