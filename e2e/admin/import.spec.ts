import { createHash, randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN } from "../support/accounts";
import { expectAccessible } from "../support/axe";

const auth = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };
const DAY = 86_400_000;

test("a key imported by its old SHA-256 hash shows with its real age and policy status, verifies, and moves to rekey's hash at first use", async ({
  page,
  request,
}) => {
  // A key of the company's earlier system, 200 days old: only its hash is imported.
  const key = `legacy_live_${randomBytes(24).toString("base64url")}`;
  const prefix = key.slice(0, 17);
  const imported = await request.post("/api/v1/keys/import", {
    headers: auth,
    data: {
      keys: [
        {
          organization: { externalId: "cus_legacy_e2e", name: "Legacy Imports Ltd" },
          name: "storefront (imported)",
          prefix,
          hash: { algorithm: "sha256", value: createHash("sha256").update(key).digest("hex") },
          scopes: ["read:orders"],
          createdAt: new Date(Date.now() - 200 * DAY).toISOString(),
          lastUsedAt: new Date(Date.now() - 2 * DAY).toISOString(),
        },
      ],
    },
  });
  expect(imported.status()).toBe(201);
  const { lines } = (await imported.json()) as { lines: { status: string; keyId: string }[] };
  expect(lines[0].status).toBe("imported");

  // On the keys list, by its prefix: its real age, over the default policy's 90 days.
  await page.goto(`/dashboard/keys?q=${encodeURIComponent(prefix)}`);
  const row = page.getByRole("row", { name: new RegExp(prefix) });
  await expect(row).toBeVisible();
  await expect(row).toContainText("Legacy Imports Ltd");
  await expect(row).toContainText(/200\s*d/);
  await expectAccessible(page);

  await row.getByRole("link", { name: `${prefix}…` }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(prefix);
  const facts = page.getByRole("region", { name: "Key" });
  await expect(facts).toContainText(/Age\s*200 days\s*over max age/);
  await expect(facts).toContainText("Still on the SHA-256 hash of the system it came from");
  await expect(page.getByText("key imported", { exact: true })).toBeVisible();
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/key-imported.png", fullPage: true });

  // Pasted whole into the header's search, the earlier system's key opens its page, and goes into no URL.
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));
  await page.keyboard.press("ControlOrMeta+k");
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/dashboard/keys/${lines[0].keyId}$`));
  expect(urls.filter((u) => u.includes(key.slice(prefix.length)))).toEqual([]);

  // It verifies at once; the first success moves it to rekey's keyed hash (written with the next usage batch).
  const verified = await request.post("/api/v1/keys/verify", { data: { key } });
  expect(await verified.json()).toMatchObject({ valid: true, organizationExternalId: "cus_legacy_e2e" });
  await expect(async () => {
    await page.reload();
    await expect(facts).toContainText("On rekey's keyed hash since its first verification", { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(page.getByText("key hash upgraded", { exact: true })).toBeVisible();
});
