import { expect, test } from "@playwright/test";
import { authFile } from "../support/accounts";

test("an auditor who replays the POST of a rotate action is refused and the key stays as it was", async ({ browser, page }) => {
  // Newest first: a new key has no rotation yet, so "Rotate now" is offered (the default order puts overdue, rotating keys first).
  await page.goto("/dashboard/keys?status=active&sort=created");
  const keyLink = page.getByRole("table").getByRole("row").nth(1).getByRole("link");
  const keyPath = await keyLink.getAttribute("href");
  expect(keyPath).toMatch(/^\/dashboard\/keys\//);

  // Capture the request an admin's "Rotate now" click makes on that key, without letting it through.
  const admin = await browser.newContext({ storageState: authFile("admin") });
  const adminPage = await admin.newPage();
  let captured: { headers: Record<string, string>; body: string } | null = null;
  await adminPage.route(`**${keyPath}`, async (route) => {
    const request = route.request();
    if (request.method() === "POST" && request.headers()["next-action"]) {
      captured = { headers: request.headers(), body: request.postData() ?? "" };
      await route.abort();
    } else await route.continue();
  });
  await adminPage.goto(keyPath!);
  // "Rotate now" asks first, saying what it does.
  let asked = "";
  adminPage.once("dialog", (d) => {
    asked = d.message();
    void d.accept();
  });
  await adminPage.getByRole("button", { name: "Rotate now" }).click();
  await expect
    .poll(() => asked)
    .toMatch(/now\?\n\nIts new key is ready for the customer at once, and both keys work for \d+ hours; then the old key stops working/);
  await expect.poll(() => captured).not.toBeNull();
  await admin.close();
  const { headers, body } = captured!;
  expect(body).toContain('"kind":"manual"');

  // The auditor's own session sends it: the action itself refuses.
  const response = await page.request.post(keyPath!, {
    headers: { "next-action": headers["next-action"], "content-type": headers["content-type"] ?? "text/plain;charset=UTF-8", accept: "text/x-component" },
    data: body,
  });
  expect(await response.text()).toContain("does not allow");
  await page.goto(keyPath!);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("active");
  await expect(page.getByRole("region", { name: "Timeline" })).not.toContainText("rotation.started");
});
