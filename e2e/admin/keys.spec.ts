import { expect, test } from "@playwright/test";
import { expectAccessible } from "../support/axe";

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

  await page.getByRole("navigation", { name: "Quick filters" }).getByRole("link", { name: "Expiring" }).click();
  await expect(page).toHaveURL(/status=expiring/);
  const inGrace = Number((await page.getByText(/^[\d,]+ keys$/).innerText()).replace(/\D/g, ""));
  expect(inGrace).toBeGreaterThanOrEqual(8);
  await expect(rows).toHaveCount(inGrace + 1);
  for (const row of (await rows.all()).slice(1)) {
    await expect(row.getByText("expiring")).toBeVisible();
    await expect(row.getByText(/^ends in \d/)).toBeVisible();
  }
  await page.getByRole("link", { name: "All", exact: true }).click();
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
  // Revoking now says what it breaks.
  await expect(dialog.getByLabel(/revoke now: every client still using it fails at once \((last used .+ ago|never used)\)$/)).toBeVisible();
  await dialog.getByLabel("revoke now").check();
  await page.screenshot({ path: "e2e/screenshots/emergency-dialog.png" });
  await dialog.getByRole("button", { name: "Emergency rotate" }).click();

  await expect(page.getByRole("status")).toHaveText("Emergency rotation done: the old key is revoked.");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("revoked");
  await expect(page.getByRole("region", { name: "Timeline" })).toContainText("found in a public repository");
  // People by their email (their id on hover), never a bare user:<uuid>.
  const timeline = page.getByRole("region", { name: "Timeline" });
  await expect(timeline).toContainText("admin@rekey.local");
  await expect(timeline).not.toContainText("user:");
  await expect(timeline.getByTitle(/^user:/).first()).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/key-detail-people.png", fullPage: true });
});

test("the overview shows the compliance rate, charts and this week's deadlines", async ({ page }) => {
  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  await expect(page.getByText(/^\d+(\.\d)?%$/).first()).toBeVisible();
  await expect(page.getByText("Compliance rate, last 90 days")).toBeVisible();
  await expect(page.getByText("Key age against max age")).toBeVisible();
  // The charts' figures are there as text for screen readers.
  await expect(page.getByRole("table", { name: "Compliance rate by day" }).getByRole("row")).toHaveCount(90);
  await expect(page.getByRole("heading", { name: "Grace deadlines this week" })).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/overview.png", fullPage: true });
});

test("the keys table filters to overdue keys of one organization and sorts by age, with the state in the URL", async ({ page }) => {
  await page.goto("/dashboard/keys");
  const filters = page.getByRole("form", { name: "Filters" });
  await filters.getByLabel("Organization").selectOption({ label: "Initech" });
  await filters.getByLabel("past max age only").check();
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/org=.*overdue=1|overdue=1.*org=/);
  const rows = page.getByRole("table").getByRole("row");
  const count = (await rows.count()) - 1;
  expect(count).toBeGreaterThan(0);
  for (const row of (await rows.all()).slice(1)) {
    await expect(row.getByRole("cell").first()).toHaveText("Initech");
    await expect(row.getByText("overdue")).toBeVisible();
  }
  await page.getByRole("button", { name: "Age" }).click();
  await expect(page).toHaveURL(/sort=age&dir=asc/);
  // Oldest first: the ages read down the column get smaller, and the header says so (descending, ▼).
  const ageHeader = page.getByRole("columnheader", { name: /Age/ });
  await expect(ageHeader).toHaveAttribute("aria-sort", "descending");
  await expect(ageHeader).toContainText("▼");
  const ages = await page
    .getByRole("table")
    .getByRole("row")
    .evaluateAll((trs) => trs.slice(1).map((tr) => parseInt(tr.children[3].textContent ?? "0", 10)));
  expect(ages).toEqual([...ages].sort((a, b) => b - a)); // oldest first
  // A shared link opens the same view.
  const shared = page.url();
  await page.goto("/dashboard/keys");
  await page.goto(shared);
  await expect(filters.getByLabel("past max age only")).toBeChecked();
  await page.screenshot({ path: "e2e/screenshots/keys-overdue.png", fullPage: true });
});

test("the overview and the keys table read on a 390px phone", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/dashboard");
  await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/overview-phone.png", fullPage: true });
  // Nothing but the tables' own scroll areas may be wider than the screen.
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > 392 && !e.closest(".table-wrap, .scroll-x, .sr-only"))
      .slice(0, 5)
      .map((e) => `${e.tagName}.${e.className}`),
  );
  expect(wide).toEqual([]);
  await page.goto("/dashboard/keys");
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "e2e/screenshots/keys-phone.png" });
});

test("on a phone the navigation is one Menu button: it opens the links, a link goes there and closes it, Escape closes it", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/dashboard");
  const nav = page.getByRole("navigation", { name: "Main" });
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await expect(nav.getByRole("link", { name: "Keys" })).toBeHidden();
  // The header is two short rows (brand and the button, then the search), not the three rows of wrapped links it was.
  const header = await page.locator("header.topbar").boundingBox();
  expect(header!.height).toBeLessThan(130);
  await menu.click();
  await expect(page.getByRole("button", { name: "Close menu" })).toHaveAttribute("aria-expanded", "true");
  await expect(nav.getByRole("link", { name: "Keys" })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/menu-phone.png" });
  await nav.getByRole("link", { name: "Keys" }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys$/);
  await expect(nav.getByRole("link", { name: "Keys" })).toBeHidden();
  await page.getByRole("button", { name: "Menu" }).click();
  await page.keyboard.press("Escape");
  await expect(nav.getByRole("link", { name: "Keys" })).toBeHidden();
  // On a desktop the links are simply there.
  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
  await expect(nav.getByRole("link", { name: "Keys" })).toBeVisible();
});

test("the main navigation marks the section the admin is in, on a key's page too, and not the overview", async ({ page }) => {
  const nav = page.getByRole("navigation", { name: "Main" });
  await page.goto("/dashboard");
  await expect(nav.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await page.goto("/dashboard/keys?status=expiring");
  await expect(nav.getByRole("link", { name: "Keys" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "Overview" })).not.toHaveAttribute("aria-current", "page");
  await page.getByRole("table").getByRole("row").nth(1).getByRole("link", { name: /…$/ }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys\/[0-9a-f-]{36}$/);
  await expect(nav.locator('[aria-current="page"]')).toHaveText(["Keys"]);
  await page.goto("/dashboard/policies");
  await expect(nav.locator('[aria-current="page"]')).toHaveText(["Policies"]);
  await page.screenshot({ path: "e2e/screenshots/nav-current.png", clip: { x: 0, y: 0, width: 1280, height: 80 } });
});

test("an unknown key's or organization's page answers 404 with the not-found page, and so does a malformed id", async ({ page }) => {
  for (const path of [
    "/dashboard/keys/00000000-0000-4000-8000-000000000000",
    "/dashboard/organizations/00000000-0000-4000-8000-000000000000",
    "/dashboard/keys/not-a-key-id",
  ]) {
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(404);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Nothing here");
  }
  await expectAccessible(page);
});
