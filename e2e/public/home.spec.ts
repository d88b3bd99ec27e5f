import { expect, test } from "@playwright/test";

test("a visitor sees what rekey is, no figures, and is sent to sign in from a staff page", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("No API key lives forever.");
  await expect(page.getByText("Active keys")).toHaveCount(0);
  await page.screenshot({ path: "e2e/screenshots/home-visitor.png", fullPage: true });
  await page.goto("/dashboard/keys");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fdashboard%2Fkeys/);
  await expect(page.getByRole("heading", { name: "Sign in to rekey" })).toBeVisible();
});

test("a wrong password says so and does not sign in", async ({ page }) => {
  await page.goto("/signin");
  await page.getByRole("form", { name: "Sign in with a password" }).getByLabel("Email").fill("admin@rekey.local");
  await page.getByRole("form", { name: "Sign in with a password" }).getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  await expect(page).toHaveURL(/\/signin/);
  await page.screenshot({ path: "e2e/screenshots/signin-error.png" });
});

test("a staff API route refuses a visitor", async ({ request }) => {
  const res = await request.get("/dashboard/keys", { maxRedirects: 0 });
  expect([302, 303, 307, 308]).toContain(res.status());
});

test("the favicon and app icons are served to anyone, and every page links them", async ({ page, request }) => {
  for (const [path, type] of [
    ["/favicon.ico", /image\/(x-icon|vnd\.microsoft\.icon)/],
    ["/icon.png", /image\/png/],
    ["/apple-icon.png", /image\/png/],
  ] as const) {
    const res = await request.get(path);
    expect(res.status(), path).toBe(200);
    expect(res.headers()["content-type"], path).toMatch(type);
  }
  await page.goto("/signin");
  await expect(page.locator('link[rel="icon"][href*="icon.png"]')).toHaveCount(1);
  await expect(page.locator('link[rel="apple-touch-icon"]')).toHaveCount(1);
});

test("a path that is not valid percent-encoding is a 400 that says so, on pages and API routes, never a 500", async ({ request }) => {
  for (const path of ["/api/v1/keys/%E0%A4%A", "/api/v1/rotations/%ZZ/cancel", "/dashboard/keys/%C0%AF", "/portal/%"]) {
    const res = await request.get(path, { maxRedirects: 0 });
    expect([path, res.status()]).toEqual([path, 400]);
    expect(await res.text(), path).toContain("not valid percent-encoding");
  }
  // A path that decodes goes on to the route as usual.
  expect((await request.get("/api/v1/keys/%C3%A9")).status()).toBe(401);
});
