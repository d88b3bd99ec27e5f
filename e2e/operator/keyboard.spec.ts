import { expect, test, type Locator, type Page } from "@playwright/test";
import { expectAccessible } from "../support/axe";
import { E2E_BOOTSTRAP_TOKEN } from "../support/accounts";

/** Presses Tab until `target` has the focus (at most `limit` times), as a person without a mouse would. */
async function tabTo(page: Page, target: Locator, limit = 80) {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${target}`);
}

test("with the keyboard alone an operator sorts the keys list and opens, fills in and leaves the rotation dialogs", async ({ page, request }) => {
  // A key of this test's own, with no rotation yet (so both dialogs are offered).
  const management = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };
  const [org] = (await (await request.get("/api/v1/organizations", { headers: management })).json()).organizations;
  const { prefix } = await (
    await request.post("/api/v1/keys", { headers: management, data: { organizationId: org.id, environment: "test", name: "keyboard test" } })
  ).json();
  await page.goto("/dashboard/keys?status=active");
  // A table's controls: the sort buttons in its headers.
  const age = page.getByRole("columnheader", { name: /Age/ }).getByRole("button");
  await tabTo(page, age);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/sort=age/);
  // Found from the header's search (Ctrl+K), opened from the list by Tab and Enter.
  await page.keyboard.press("ControlOrMeta+k");
  await page.keyboard.type(prefix);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/q=/);
  const link = page.getByRole("table", { name: "API keys" }).getByRole("link", { name: `${prefix}…` });
  await tabTo(page, link);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/dashboard\/keys\/[0-9a-f-]{36}$/);

  // The schedule dialog: Enter opens it with the focus inside, Escape closes it and gives the focus back.
  const schedule = page.getByRole("button", { name: "Schedule rotation…" });
  await tabTo(page, schedule);
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
  await expectAccessible(page);
  // The focus stays in the dialog while it is open (a modal dialog: the page behind is inert).
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    expect(await dialog.evaluate((d) => d.contains(document.activeElement) || document.activeElement === document.body)).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(schedule).toBeFocused();

  // The emergency dialog: its fields are reached and filled by keyboard; Close (Enter) closes it, nothing changes.
  const emergency = page.getByRole("button", { name: "Emergency rotate…" });
  await tabTo(page, emergency);
  await page.keyboard.press("Enter");
  const reason = page.getByRole("dialog").getByLabel(/Reason/);
  await tabTo(page, reason, 12);
  await page.keyboard.type("keyboard test");
  const close = page.getByRole("dialog").getByRole("button", { name: "Close" });
  await tabTo(page, close, 12);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog")).toBeHidden();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("active");
});
