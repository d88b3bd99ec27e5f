import { expect, test, type Page } from "@playwright/test";
import { ADMIN } from "../support/accounts";

// The security headers (lib/http/security-headers.ts): a nonce CSP on every
// page, a CSP that allows nothing on API answers, the static set on both;
// and no page of the app breaks its own CSP.

const STATIC = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
};

/** Records CSP violations on `page`, from the DOM event and from the console, for every document it loads. */
async function watchViolations(page: Page) {
  const seen: string[] = [];
  page.on("console", (message) => {
    if (/Content[- ]Security[- ]Policy|Permissions[- ]Policy/i.test(message.text())) seen.push(`console: ${message.text()}`);
  });
  await page.exposeFunction("__reportViolation", (text: string) => seen.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __reportViolation: (t: string) => void }).__reportViolation(
        `${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sample})`,
      );
    });
  });
  return seen;
}

/** Waits until the page's Next.js scripts have run: they set `window.next`, which a blocked script would not. */
async function hydrated(page: Page) {
  await page.waitForLoadState("networkidle");
  await page.waitForFunction(() => "next" in window);
}

test("a page gets a fresh nonce CSP and the static headers, no HSTS over plain HTTP", async ({ request }) => {
  const first = await request.get("/");
  const second = await request.get("/signin");
  for (const res of [first, second]) {
    expect(res.status()).toBe(200);
    expect(res.headers()).toMatchObject(STATIC);
    expect(res.headers()["permissions-policy"]).toContain("camera=()");
    expect(res.headers()["strict-transport-security"]).toBeUndefined();
    const csp = res.headers()["content-security-policy"];
    expect(csp).toMatch(/script-src 'self' 'nonce-[0-9a-f]{32}' 'strict-dynamic'(;|$)/);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    // Next put this response's nonce on its scripts.
    const nonce = /'nonce-([0-9a-f]+)'/.exec(csp)![1];
    expect(await res.text()).toContain(`nonce="${nonce}"`);
  }
  const nonceOf = (csp: string) => /'nonce-([0-9a-f]+)'/.exec(csp)![1];
  expect(nonceOf(first.headers()["content-security-policy"])).not.toBe(nonceOf(second.headers()["content-security-policy"]));
});

test("API answers, through Next and through the verify fast path, get a CSP that allows nothing and the static headers", async ({ request }) => {
  const health = await request.get("/api/health");
  const openapi = await request.get("/api/v1/openapi.json");
  const verify = await request.post("/api/v1/keys/verify", { data: { key: "rk_live_not-a-key" } });
  const refused = await request.post("/api/v1/keys/verify", { data: "{not json", headers: { "content-type": "application/json" } });
  for (const res of [health, openapi, verify, refused]) {
    expect(res.headers()).toMatchObject({ ...STATIC, "content-security-policy": "default-src 'none'; frame-ancestors 'none'" });
    expect(res.headers()["permissions-policy"]).toContain("camera=()");
  }
  expect(verify.status()).toBe(200);
  expect(refused.status()).toBe(400);
});

test("the CSP blocks a script injected into a page's markup", async ({ page }) => {
  // As a stored XSS would: the server's answer, headers and all, with one more inline script.
  await page.route("/", async (route) => {
    const response = await route.fetch();
    const html = (await response.text()).replace("</body>", "<script>window.__injected = true</script></body>");
    await route.fulfill({ response, body: html });
  });
  const violations = await watchViolations(page);
  await page.goto("/");
  await hydrated(page);
  expect(await page.evaluate(() => "__injected" in window)).toBe(false);
  await expect.poll(() => violations.join("\n")).toMatch(/script-src/);
});

test("no page breaks its own CSP, for a visitor and for an admin", async ({ page }) => {
  const violations = await watchViolations(page);
  for (const path of ["/", "/signin", "/no-such-page"]) {
    await page.goto(path);
    await hydrated(page);
  }
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();

  await page.goto("/signin");
  await hydrated(page);
  const form = page.getByRole("form", { name: "Sign in with a password" });
  await form.getByLabel("Email").fill(ADMIN.email);
  await form.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/dashboard\/keys$/);

  const pages = [
    "/",
    "/dashboard",
    "/dashboard/keys",
    "/dashboard/organizations",
    "/dashboard/policies",
    "/dashboard/alerts",
    "/dashboard/reports",
    "/dashboard/users",
    "/dashboard/tokens",
    "/dashboard/outbox",
    "/dashboard/secrets",
  ];
  for (const path of pages) {
    await page.goto(path);
    await hydrated(page);
  }
  // The overview's charts (recharts) drew.
  await page.goto("/dashboard");
  await hydrated(page);
  await expect(page.locator("svg.recharts-surface").first()).toBeVisible();
  // A key's and an organization's own page, reached the way a person does.
  await page.goto("/dashboard/keys");
  await page.getByRole("table").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/keys\/[\w-]+$/);
  await hydrated(page);
  await page.goto("/dashboard/organizations");
  await page.getByRole("table").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/dashboard\/organizations\/[\w-]+$/);
  await hydrated(page);

  expect(violations).toEqual([]);
});
