import { expect, test } from "@playwright/test";

test("the admin invites an operator with a one-time password, and that operator signs in and is asked for a password of their own", async ({
  page,
  browser,
}) => {
  await page.goto("/dashboard/users");
  const form = page.getByRole("form", { name: "Invite a user" });
  const email = `new-op-${Date.now()}@example.com`;
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Role").selectOption("operator");
  await form.getByRole("button", { name: "Invite" }).click();
  await expect(form.getByRole("status")).toContainText(`Invited ${email}`);
  const password = await form.locator("code.secret").innerText();
  await expect(page.getByRole("cell", { name: email })).toBeVisible();
  // Screenshots never hold a secret: take it once the one-time password is gone.
  await page.reload();
  await expect(page.getByText(password)).toHaveCount(0);
  await page.screenshot({ path: "e2e/screenshots/users.png", fullPage: true });

  const fresh = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const other = await fresh.newPage();
  await other.goto("/signin");
  await other.getByRole("form", { name: "Sign in with a password" }).getByLabel("Email").fill(email);
  await other.getByRole("form", { name: "Sign in with a password" }).getByLabel("Password").fill(password);
  await other.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(other.getByText(`${email} · operator`)).toBeVisible();
  await expect(other).toHaveURL(/\/dashboard\/account\?first=1$/);
  await fresh.close();
});

test("the admin creates a management token shown once, which works on the API until revoked", async ({ page, request }) => {
  await page.goto("/dashboard/tokens");
  const form = page.getByRole("form", { name: "Create a token" });
  await form.getByLabel("Name").fill("e2e pipeline");
  await form.getByRole("button", { name: "Create token" }).click();
  await expect(form.getByRole("status")).toContainText('Token "e2e pipeline" created');
  const secret = await form.locator("code.secret").innerText();
  expect(secret).toMatch(/^rkm_mgmt_/);
  const use = () => request.post("/api/v1/organizations", { headers: { authorization: `Bearer ${secret}` }, data: { name: `Token Org ${Date.now()}` } });
  expect((await use()).status()).toBe(201);

  page.once("dialog", (d) => d.accept());
  await page
    .getByRole("row", { name: /e2e pipeline/ })
    .getByRole("button", { name: "Revoke" })
    .click();
  await expect(page.getByRole("row", { name: /e2e pipeline/ }).getByText("revoked")).toBeVisible();
  expect((await use()).status()).toBe(401);
  await page.reload();
  await expect(page.getByText(secret)).toHaveCount(0); // never shown again
  await page.screenshot({ path: "e2e/screenshots/tokens.png", fullPage: true });
});

test("the customer portal is for customers: staff get a 403 there", async ({ page }) => {
  const response = await page.goto("/portal");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("You do not have access to this page");
});
