import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";
import { Webhook } from "standardwebhooks";
import { signInWithLink } from "../support/mail";
import { expectAccessible } from "../support/axe";

// A customer of Globex adds a webhook endpoint in the portal, copies its signing secret, sends a test event, and sees
// it in the delivery log; the receiver verifies the signature with the standardwebhooks library.
const GLOBEX = "api-team@globex.example";

test("a customer adds a webhook endpoint, sends a test event, and sees the delivery in the log", async ({ browser }) => {
  const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/rekey`;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto("/portal/webhooks");
    await signInWithLink(page, GLOBEX);
    await expect(page).toHaveURL(/\/portal\/webhooks$/);
    await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
    await expect(page.getByRole("link", { name: "Webhooks", exact: true })).toHaveAttribute("aria-current", "page");
    await expectAccessible(page);

    const form = page.getByRole("form", { name: "Add a webhook endpoint" });
    await form.getByLabel("Endpoint URL").fill(url);
    await form.getByLabel("Description").fill("deploy bot");
    await form.getByLabel("Only these:").check();
    // Alerts are the API company's: a customer cannot choose them.
    await expect(form.getByRole("checkbox", { name: /alert\.raised/ })).toHaveCount(0);
    await form.getByRole("checkbox", { name: /rotation\.started/ }).check();
    await form.getByRole("checkbox", { name: /rotation\.completed/ }).check();
    await form.getByRole("button", { name: "Add endpoint" }).click();
    await expect(form.getByRole("status")).toContainText("Copy its signing secret now");
    const secretBox = form.getByLabel("Your new signing secret");
    const secret = (await secretBox.textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    await page.screenshot({ path: "e2e/screenshots/portal-webhooks.png", fullPage: true, mask: [secretBox] });

    await page.getByRole("link", { name: url }).click();
    await expect(page).toHaveURL(/\/portal\/webhooks\/[\w-]+$/);
    await expect(page.getByText("rotation.started, rotation.completed")).toBeVisible();
    await expect(page.getByText("Nothing delivered yet")).toBeVisible();
    await page.getByRole("button", { name: "Send a test event" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Test event" })).toContainText("Delivered: HTTP 204");
    const log = page.getByRole("table");
    await expect(log.getByRole("row").filter({ hasText: "webhook.test" })).toContainText("HTTP 204");
    await expect(log.getByRole("row").filter({ hasText: "webhook.test" })).toContainText("sent");
    // After a soft navigation Next.js sets the title when the page's metadata arrives, a moment after the page.
    await expect(page).toHaveTitle(/Webhook endpoint/);
    await expectAccessible(page);
    await page.screenshot({ path: "e2e/screenshots/portal-webhook-log.png", fullPage: true });

    expect(received).toHaveLength(1);
    const m = received[0];
    const event = new Webhook(secret).verify(m.body, {
      "webhook-id": String(m.headers["webhook-id"]),
      "webhook-timestamp": String(m.headers["webhook-timestamp"]),
      "webhook-signature": String(m.headers["webhook-signature"]),
    }) as { type: string };
    expect(event.type).toBe("webhook.test");
    await expect(log).toContainText(String(m.headers["webhook-id"]));

    // Resend: the same webhook-id again.
    await log
      .getByRole("button", { name: /^Resend/ })
      .first()
      .click();
    await expect.poll(() => received.length).toBe(2);
    expect(received[1].headers["webhook-id"]).toBe(m.headers["webhook-id"]);

    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Delete" }).click();
    await expect(page).toHaveURL(/\/portal\/webhooks$/);
    await expect(page.getByText("No endpoints yet")).toBeVisible();
    await context.close();
  } finally {
    server.close();
  }
});
