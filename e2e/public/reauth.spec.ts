import { expect, test } from "@playwright/test";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { INSTANCE_TOKEN, freshDatabase, serverUrl, waitForHealth } from "../support/instance";
import { latestSignInLink } from "../support/mail";
import { expectAccessible } from "../support/axe";

// Issue 18, item 4: revoking breaks a client as surely as revealing hands out a key, so it needs the same recent sign-in.
// The sign-in is made old by moving its session's start back in the database: the one thing a test cannot wait for.
const PORT = 3114;
const BASE = `http://127.0.0.1:${PORT}`;
const CUSTOMER = "ops@old-session.example";

test.describe("a customer whose sign-in is old", () => {
  test.skip(!serverUrl, "needs TEST_DATABASE_URL naming a local PostgreSQL server");

  test("is asked to sign in again before revoking a key, and can revoke after the new link", async ({ browser }) => {
    test.setTimeout(120_000);
    const dataDir = mkdtempSync(path.join(tmpdir(), "rekey-reauth-"));
    const { database, admin, env } = await freshDatabase({
      REKEY_DATA_DIR: dataDir,
      NEXTAUTH_URL: BASE,
      REKEY_CRON: "off",
      REKEY_SECRET: "reauth-secret-0123456789abcdef0123",
    });
    const server = spawn("node_modules/.bin/next", ["start", "-p", String(PORT), "-H", "127.0.0.1"], { env, stdio: "ignore" });
    const db = new (await import("pg")).default.Client({ connectionString: env.DATABASE_URL });
    const context = await browser.newContext({ baseURL: BASE });
    try {
      await waitForHealth(PORT);
      await db.connect();
      const headers = { authorization: `Bearer ${INSTANCE_TOKEN}`, "content-type": "application/json" };
      const org = await (
        await fetch(`${BASE}/api/v1/organizations`, { method: "POST", headers, body: JSON.stringify({ name: "Old Session GmbH", contactEmails: [CUSTOMER] }) })
      ).json();
      const key = await (
        await fetch(`${BASE}/api/v1/keys`, { method: "POST", headers, body: JSON.stringify({ organizationId: org.id, environment: "live", name: "billing" }) })
      ).json();
      // A policy that lets customers revoke their own keys, and the customer (an admin would invite them).
      await db.query(
        `INSERT INTO rotation_policies (id, name, "isDefault", "customersManageKeys", "createdAt", "updatedAt") VALUES (gen_random_uuid()::text, 'Self-service', true, true, now(), now())`,
      );
      await db.query(`INSERT INTO users (id, email, role, "organizationId", "createdAt") VALUES (gen_random_uuid()::text, $1, 'customer', $2, now())`, [
        CUSTOMER,
        org.id,
      ]);

      const page = await context.newPage();
      const signIn = async (since: number) => {
        let link: string | null = null;
        await expect.poll(async () => (link = await latestSignInLink(CUSTOMER, since, path.join(dataDir, "mail"))), { timeout: 10_000 }).not.toBeNull();
        await page.goto(link!);
      };
      const asked = Date.now() - 1000;
      await page.goto("/signin");
      const form = page.getByRole("form", { name: "Email me a sign-in link" });
      await form.getByLabel("Email").fill(CUSTOMER);
      await form.getByRole("button", { name: "Email me a sign-in link" }).click();
      await expect(page.getByRole("status")).toContainText("a sign-in link is on its way");
      await signIn(asked);
      await expect(page.getByText(`${CUSTOMER} · customer`)).toBeVisible();

      // Eleven minutes pass (the rule is ten); the session is still open (30 minutes idle, 8 hours in all).
      const moved = await db.query(
        `UPDATE user_sessions SET "createdAt" = "createdAt" - interval '11 minutes' WHERE "endedAt" IS NULL AND "userId" = (SELECT id FROM users WHERE email = $1)`,
        [CUSTOMER],
      );
      expect(moved.rowCount).toBe(1);

      await page.goto(`/portal/keys/${key.id}`);
      await page.getByRole("button", { name: "Revoke…" }).click();
      const dialog = page.getByRole("dialog", { name: /^Revoke/ });
      await dialog.getByLabel("Why (kept in the audit trail)").fill("the service using it was retired");
      await dialog.getByRole("button", { name: "Revoke now" }).click();
      const prompt = page.getByRole("alert").filter({ hasText: "sign in again to revoke a key" });
      await expect(prompt).toContainText("more than 10 minutes old");
      await expectAccessible(page);
      await page.screenshot({ path: "e2e/screenshots/portal-revoke-reauth.png", fullPage: true });
      // Nothing changed: the key still verifies.
      const still = await (await fetch(`${BASE}/api/v1/keys/${key.id}`, { headers })).json();
      expect(still.status).toBe("active");

      // One click emails a fresh link; it brings the customer back to the key, and now the revocation goes through.
      const again = Date.now() - 1000;
      await prompt.getByRole("button", { name: `Email a sign-in link to ${CUSTOMER}` }).click();
      await expect(prompt).toContainText("A sign-in link is on its way");
      await signIn(again);
      await expect(page).toHaveURL(new RegExp(`/portal/keys/${key.id}$`));
      await page.getByRole("button", { name: "Revoke…" }).click();
      await dialog.getByLabel("Why (kept in the audit trail)").fill("the service using it was retired");
      await dialog.getByRole("button", { name: "Revoke now" }).click();
      // The refreshed key leaves nothing to do, and the confirmation stays on screen (it once vanished with the buttons).
      await expect(page.getByText("Nothing to do for this key right now.")).toBeVisible();
      await expect(page.getByRole("status")).toContainText(/revoked/i);
      expect((await (await fetch(`${BASE}/api/v1/keys/${key.id}`, { headers })).json()).status).toBe("revoked");
    } finally {
      await context.close();
      server.kill("SIGTERM");
      await db.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 500));
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
