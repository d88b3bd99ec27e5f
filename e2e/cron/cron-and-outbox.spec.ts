import { expect, test } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN, E2E_CRON_SECRET } from "../support/accounts";

test("the cron refuses a caller without its secret", async ({ request }) => {
  expect((await request.post("/api/cron")).status()).toBe(401);
  expect((await request.get("/api/cron", { headers: { authorization: "Bearer wrong" } })).status()).toBe(401);
});

test("a cron call rotates what policy makes due and emails the customers; the admin reads the outbox", async ({ page, request }) => {
  const response = await request.post("/api/cron", { headers: { authorization: `Bearer ${E2E_CRON_SECRET}` } });
  expect(response.status()).toBe(200);
  const summary = await response.json();
  // The demo world has keys near and past their max age: the cron schedules them with notice (overdue ones start at once).
  expect(summary.scheduled).toBeGreaterThan(0);
  expect(summary.rotations.started).toBeGreaterThan(0);
  expect(summary.emails.sent).toBeGreaterThan(0);
  expect(summary.errors).toEqual([]);

  await page.goto("/dashboard/outbox?status=sent");
  await expect(page.getByRole("heading", { name: "Outbox" })).toBeVisible();
  await expect(page.getByText(/Last cron call .* ago, took \d+ ms/)).toBeVisible();
  const firstRow = page.getByRole("table").getByRole("row").nth(1);
  await expect(firstRow.getByText("sent", { exact: true })).toBeVisible();
  await page.screenshot({ path: "e2e/screenshots/outbox.png" });

  // The .eml of a sent email: a real message, naming the key by prefix only.
  const href = await firstRow.getByRole("link", { name: "view .eml" }).getAttribute("href");
  const eml = await page.request.get(href!);
  expect(eml.status()).toBe(200);
  const text = await eml.text();
  expect(text).toMatch(/^Message-ID: </m);
  expect(text).toMatch(/^X-Rekey-Idempotency-Key:\s+rotation_\w+:/m);
  expect(text).not.toMatch(/rk_(live|test)_[0-9A-Za-z]{40,}/);

  // Nothing left to deliver: "Deliver now" says so.
  await page.getByRole("button", { name: "Deliver now" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Nothing was due|Delivered the due emails/ })).toBeVisible();
});

test("metrics need a token and speak Prometheus", async ({ request }) => {
  expect((await request.get("/api/metrics")).status()).toBe(401);
  const metrics = await request.get("/api/metrics", { headers: { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` } });
  expect(metrics.status()).toBe(200);
  const body = await metrics.text();
  expect(body).toMatch(/^rekey_keys\{status="expiring"\} [1-9]\d*$/m);
  expect(body).toMatch(/^rekey_cron_last_run_duration_seconds [\d.]+$/m);
});
