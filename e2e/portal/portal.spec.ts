import { expect, test, type Browser } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN, E2E_CRON_SECRET } from "../support/accounts";
import { latestMail, signInWithLink } from "../support/mail";

// A customer of Acme takes a new key through the portal, from the rotation
// email to a verified new key; a customer of Globex cannot touch it.
const ACME = "platform@acme.example";
const GLOBEX = "api-team@globex.example";
const management = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };

test.describe.configure({ mode: "serial" });

let oldKey: { id: string; key: string; prefix: string };
let portalLink: string;
let rotationId: string;
let capturedReroll: { headers: Record<string, string>; body: string; path: string } | null = null;

async function newCustomerPage(browser: Browser, width = 1280, height = 900) {
  const context = await browser.newContext({ viewport: { width, height }, permissions: ["clipboard-read", "clipboard-write"] });
  return context.newPage();
}

test("a customer follows the rotation email, signs in with the link, reveals and copies the new key; it verifies and the old one is deprecated", async ({
  browser,
  request,
}) => {
  // The API company issues Acme a key and rotates it; the new key waits in the portal.
  const orgs = await (await request.get("/api/v1/organizations", { headers: management })).json();
  const acme = orgs.organizations.find((o: { name: string }) => o.name === "Acme Logistics");
  const issued = await request.post("/api/v1/keys", {
    headers: management,
    data: { organizationId: acme.id, environment: "live", name: "checkout service", scopes: ["read:orders"] },
  });
  expect(issued.status()).toBe(201);
  oldKey = await issued.json();
  const verifiedOld = await request.post("/api/v1/keys/verify", { headers: { authorization: `Bearer ${oldKey.key}` } });
  expect((await verifiedOld.json()).valid).toBe(true);
  // Usage is written in batches (lib/keys/usage.ts, about a second apart): wait
  // for this use to land, so the portal below has a "last used" to show.
  await expect
    .poll(async () => (await (await request.get(`/api/v1/keys/${oldKey.id}`, { headers: management })).json()).lastUsedAt, { timeout: 10_000 })
    .not.toBeNull();
  const since = Date.now() - 1000;
  const rotated = await request.post(`/api/v1/keys/${oldKey.id}/rotations`, { headers: management, data: { kind: "manual", reason: "quarterly rotation" } });
  expect(rotated.status()).toBe(201);
  rotationId = (await rotated.json()).id;
  expect((await request.post("/api/cron", { headers: { authorization: `Bearer ${E2E_CRON_SECRET}` } })).status()).toBe(200);

  // The email: which key, until when, a link to the portal, and no key.
  let mail: Awaited<ReturnType<typeof latestMail>> = null;
  await expect
    .poll(async () => (mail = await latestMail(ACME, since, new RegExp(`^New API key ready: replace ${oldKey.prefix}…`))), { timeout: 10_000 })
    .not.toBeNull();
  expect(mail!.text).not.toMatch(/rk_(live|test)_[0-9A-Za-z]{40,}/);
  portalLink = /https?:\/\/\S+\/portal\/keys\/[\w-]+/.exec(mail!.text ?? "")![0];
  expect(portalLink).toContain(oldKey.id);

  const page = await newCustomerPage(browser);
  await page.goto(portalLink);
  await expect(page).toHaveURL(/\/signin\?callbackUrl=/);
  await signInWithLink(page, ACME);
  await expect(page).toHaveURL(new RegExp(`/portal/keys/${oldKey.id}$`));

  const banner = page.getByRole("region", { name: `Rotation of ${oldKey.prefix}` });
  await expect(banner).toContainText("is being rotated");
  await expect(banner).toContainText("The old key works until");
  await expect(banner).toContainText(/UTC-[56]/); // Acme reads dates in America/Chicago, written as the offset
  await expect(banner).toContainText(/Your old key was last used .* ago/);
  await page.screenshot({ path: "e2e/screenshots/portal-key-before-reveal.png", fullPage: true });

  // Reveal once, copy, read the clipboard.
  await page.getByRole("button", { name: "Reveal the new key" }).click();
  const secret = page.getByLabel("Your new key");
  await expect(secret).toHaveText(/^rk_live_[0-9A-Za-z]{49}$/);
  const newKey = (await secret.textContent())!;
  await expect(page.getByText("This key is not shown again.")).toBeVisible();
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("button", { name: "Copied ✓" })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(newKey);
  // The key itself is masked: a full key never goes into a test artifact.
  await page.screenshot({ path: "e2e/screenshots/portal-key-revealed.png", fullPage: true, mask: [secret] });

  // The new key verifies; the old one is valid but deprecated, naming its successor.
  const verifiedNew = await (await request.post("/api/v1/keys/verify", { data: { key: newKey } })).json();
  expect(verifiedNew).toMatchObject({ valid: true, deprecated: false });
  const old = await request.post("/api/v1/keys/verify", { data: { key: oldKey.key } });
  expect(await old.json()).toMatchObject({ valid: true, deprecated: true, successorPrefix: newKey.slice(0, 16) });
  expect(old.headers().sunset).toBeTruthy();

  // Reloaded, the key is never shown again; the page says it is expiring and was revealed.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("expiring");
  await expect(page.getByLabel("Your new key")).toHaveCount(0);
  await expect(page.getByText(/The new key rk_live_\w+… was revealed on/)).toBeVisible();
  expect(await page.content()).not.toContain(newKey);

  // Capture what "re-roll" would send, for the other organization to replay; let nothing through.
  await page.route(`**/portal/keys/${oldKey.id}`, async (route) => {
    const r = route.request();
    if (r.method() === "POST" && r.headers()["next-action"]) {
      capturedReroll = { headers: r.headers(), body: r.postData() ?? "", path: new URL(r.url()).pathname };
      await route.abort();
    } else await route.continue();
  });
  page.once("dialog", (dialog) => dialog.accept());
  await page.getByRole("button", { name: "I lost it: re-roll the new key" }).click();
  await expect.poll(() => capturedReroll).not.toBeNull();
  expect(capturedReroll!.body).toContain(rotationId);

  // The list, the contacts, and both at phone width.
  await page.goto("/portal");
  await expect(page.getByRole("heading", { name: "Your keys" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Your organization's keys" })).toContainText(oldKey.prefix);
  // Acme has many rotations under way after the cron: one table of them, this one's new key revealed.
  const underWay = page.getByRole("table", { name: "Rotations under way" }).getByRole("row").filter({ hasText: oldKey.prefix });
  await expect(underWay).toContainText("revealed");
  await page.screenshot({ path: "e2e/screenshots/portal-keys.png", fullPage: true });
  await page.goto("/portal/contacts");
  const add = page.getByRole("form", { name: "Add a contact" });
  await add.getByLabel("Email").fill("oncall@acme.example");
  await add.getByRole("button", { name: "Add" }).click();
  await expect(page.getByRole("status").filter({ hasText: "oncall@acme.example now gets rotation emails." })).toBeVisible();
  await expect(page.getByRole("region", { name: "Contacts" })).toContainText("oncall@acme.example");
  await expect(page.getByRole("region", { name: "Recent changes" })).toContainText("added oncall@acme.example");
  await page.screenshot({ path: "e2e/screenshots/portal-contacts.png", fullPage: true });
  await page.context().close();
});

test("the portal reads on a 390px phone", async ({ browser }) => {
  const page = await newCustomerPage(browser, 390, 844);
  await page.goto("/portal");
  await signInWithLink(page, ACME);
  await expect(page.getByRole("heading", { name: "Your keys" })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "e2e/screenshots/portal-keys-phone.png", fullPage: true });
  await page.goto(`/portal/keys/${oldKey.id}`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(oldKey.prefix);
  await page.screenshot({ path: "e2e/screenshots/portal-key-phone.png", fullPage: true });
  await page.context().close();
});

test("after an emergency rotation that revoked a key at once, the customer reveals its replacement", async ({ browser, request }) => {
  const orgs = await (await request.get("/api/v1/organizations", { headers: management })).json();
  const acme = orgs.organizations.find((o: { name: string }) => o.name === "Acme Logistics");
  const leaked = await (
    await request.post("/api/v1/keys", {
      headers: management,
      data: { organizationId: acme.id, environment: "live", name: "mobile app", scopes: ["read:orders"] },
    })
  ).json();
  const rotated = await request.post(`/api/v1/keys/${leaked.id}/rotations`, {
    headers: management,
    data: { kind: "emergency", gracePeriodHours: 0, reason: "found in a public repository" },
  });
  expect(rotated.status()).toBe(201);
  expect(await (await request.post("/api/v1/keys/verify", { data: { key: leaked.key } })).json()).toEqual({ valid: false, code: "revoked" });

  const page = await newCustomerPage(browser);
  await page.goto("/portal");
  await signInWithLink(page, ACME);
  const banner = page.getByRole("region", { name: `Replacement for ${leaked.prefix}` });
  await expect(banner).toContainText("was revoked at once in an emergency (found in a public repository)");
  await banner.getByRole("link", { name: "Get the replacement" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("revoked");
  await page.getByRole("button", { name: "Reveal the new key" }).click();
  const secret = page.getByLabel("Your new key");
  await expect(secret).toHaveText(/^rk_live_[0-9A-Za-z]{49}$/);
  expect(await (await request.post("/api/v1/keys/verify", { data: { key: await secret.textContent() } })).json()).toMatchObject({
    valid: true,
    scopes: ["read:orders"],
  });
  await page.screenshot({ path: "e2e/screenshots/portal-replacement.png", fullPage: true, mask: [secret] });
  await page.goto("/portal");
  await expect(page.getByRole("region", { name: `Replacement for ${leaked.prefix}` })).toHaveCount(0);
  await page.context().close();
});

test("a customer of another organization gets 404 for the key's page and its action refused", async ({ browser, request }) => {
  const page = await newCustomerPage(browser);
  await page.goto("/portal");
  await signInWithLink(page, GLOBEX);
  await expect(page.getByRole("heading", { name: "Your keys" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Your organization's keys" })).not.toContainText(oldKey.prefix);

  const byUrl = await page.goto(portalLink);
  expect(byUrl?.status()).toBe(404);

  // Acme's re-roll, replayed with Globex's session: not found, and Acme's new key stays as it was.
  const { headers, body, path } = capturedReroll!;
  const response = await page.request.post(path, {
    headers: { "next-action": headers["next-action"], "content-type": headers["content-type"] ?? "text/plain;charset=UTF-8", accept: "text/x-component" },
    data: body,
  });
  const text = await response.text();
  expect(text).toContain("No such rotation.");
  expect(text).not.toMatch(/rk_(live|test)_[0-9A-Za-z]{49}/);
  const old = await (await request.post("/api/v1/keys/verify", { data: { key: oldKey.key } })).json();
  expect(old).toMatchObject({ valid: true, deprecated: true });

  // Staff are not customers: the portal is a 403 for them.
  await page.context().close();
});
