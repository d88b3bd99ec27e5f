import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { expectAccessible } from "../support/axe";

// An admin adds a Slack endpoint for alerts and a signed endpoint for one organization, tests the Slack one, and
// deletes both (the later projects' flows should not post to receivers that are gone).
test("an admin adds webhook endpoints for alerts (Slack) and for one organization, tests one, and deletes them", async ({ page }) => {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push(body);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await page.goto("/dashboard/webhooks");
    await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
    const form = page.getByRole("form", { name: "Add a webhook endpoint" });
    await form.getByLabel("Endpoint URL").fill(`${base}/slack/T000/B000/XXXX`);
    await form.getByLabel("Format").selectOption("slack");
    await form.getByRole("button", { name: "Add endpoint" }).click();
    await expect(form.getByRole("status")).toContainText("Slack endpoint added.");

    await form.getByLabel("Endpoint URL").fill(`${base}/acme`);
    await form.getByLabel("Format").selectOption("standard");
    await form.getByLabel("Events of").selectOption({ label: "Acme Logistics" });
    await form.getByRole("button", { name: "Add endpoint" }).click();
    await expect(form.getByRole("status")).toContainText("Copy its signing secret now");
    const rows = page.getByRole("table").getByRole("row");
    await expect(rows.filter({ hasText: "/slack/" })).toContainText("alerts, to Slack");
    await expect(rows.filter({ hasText: "/acme" })).toContainText("Acme Logistics");
    await expectAccessible(page);
    await page.screenshot({ path: "e2e/screenshots/dashboard-webhooks.png", fullPage: true, mask: [form.getByLabel("Your new signing secret")] });

    await page.getByRole("link", { name: `${base}/slack/T000/B000/XXXX` }).click();
    await page.getByRole("button", { name: "Send a test event" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Test event" })).toContainText("Delivered: HTTP 200");
    expect(JSON.parse(received[0])).toMatchObject({ text: expect.stringContaining("rekey") });
    await expectAccessible(page);
    await page.screenshot({ path: "e2e/screenshots/dashboard-webhook.png", fullPage: true });
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Delete" }).click();
    await expect(page).toHaveURL(/\/dashboard\/webhooks$/);
    await page.getByRole("link", { name: `${base}/acme` }).click();
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText("No endpoints yet")).toBeVisible();
  } finally {
    server.close();
  }
});
