import { expect, test, type Page } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN } from "../support/accounts";
import { expectAccessible } from "../support/axe";

const auth = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };

/** Nothing on the page reaches past the right edge of the window (a table may scroll inside its own box). */
async function expectNoOverflow(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test("the admin finds a key by pasting it whole, by its prefix from the header (⌘K), and by organization", async ({ page, request }) => {
  // A key whose full value is in hand, as after a leak.
  const org = await request.post("/api/v1/organizations", { headers: auth, data: { name: "Searchable Ltd", contactEmails: ["ops@searchable.example"] } });
  expect(org.status()).toBe(201);
  const issued = await request.post("/api/v1/keys", {
    headers: auth,
    data: { organizationId: (await org.json()).id, environment: "live", name: "warehouse sync" },
  });
  const { id, prefix, key: secret } = (await issued.json()) as { id: string; prefix: string; key: string };
  const secretPart = secret.slice(prefix.length);
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));

  await page.goto("/dashboard/keys");
  await expect(page.getByText(/^Needs attention first/)).toBeVisible();
  await page.getByLabel(/Find a key: paste it whole/).fill(secret);
  await page.screenshot({ path: "e2e/screenshots/keys-search-paste.png" });
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/dashboard/keys/${id}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(prefix);
  // The full key went in a POST body only: never in a URL, and the page does not show it.
  expect(urls.filter((u) => u.includes(secretPart))).toEqual([]);
  await expect(page.locator("body")).not.toContainText(secretPart);

  // By prefix, from the header's search, focused with ⌘K / Ctrl+K.
  await page.keyboard.press("ControlOrMeta+k");
  const header = page.getByRole("searchbox", { name: /Find a key by full key, prefix/ });
  await expect(header).toBeFocused();
  await page.keyboard.type(prefix.slice(0, 13));
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/dashboard\/keys\?q=rk_live_/);
  await expect(page.getByRole("table").getByRole("link", { name: `${prefix}…` })).toBeVisible();
  await expect(page.getByLabel(/Find a key: paste it whole/)).toHaveValue(prefix.slice(0, 13));
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/keys-search-prefix.png", fullPage: true });

  // By organization name, any case; the URL holds the search, so it can be shared and reloaded.
  await page.getByLabel(/Find a key: paste it whole/).fill("searchable");
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(/q=searchable/);
  await expect(page.getByText(/^1 keys$/)).toBeVisible();
  await page.reload();
  await expect(page.getByRole("table").getByText("warehouse sync")).toBeVisible();
  await page.getByRole("link", { name: "Clear search" }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys$/);
});

test("a pasted key that is not one of ours (bad checksum) is cut to its prefix before it reaches the URL", async ({ page }) => {
  // A well-formed key with a valid checksum that was never issued: from the API's own generator shape.
  const unknown = `rk_live_${"A".repeat(43)}`;
  await page.goto("/dashboard/keys");
  await page.getByLabel(/Find a key: paste it whole/).fill(`${unknown}zzzzzz`);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys\?q=rk_live_AAAAAAAA$/);
  await expect(page.getByText("No keys match “rk_live_AAAAAAAA”.")).toBeVisible();
});

test("the keys list with a search at a phone's width: accessible, nothing past the right edge", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/dashboard/keys?q=Initech");
  await expect(page.getByRole("table")).toBeVisible();
  await expectNoOverflow(page);
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/keys-search-phone.png", fullPage: true });
});
