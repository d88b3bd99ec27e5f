import { expect, test } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN } from "../support/accounts";
import { expectAccessible } from "../support/axe";

const management = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };

// An operator pastes a key found in a public gist: it stops verifying at once, and the page says what happened.
test("an operator reports a leaked key from the keys list; it stops verifying at once", async ({ page, request }) => {
  const orgs = await (await request.get("/api/v1/organizations", { headers: management })).json();
  const initech = orgs.organizations.find((o: { name: string }) => o.name.startsWith("Initech"));
  const issued = await (
    await request.post("/api/v1/keys", {
      headers: management,
      data: { organizationId: initech.id, environment: "live", name: "leaky", scopes: ["read:orders"] },
    })
  ).json();
  expect((await (await request.post("/api/v1/keys/verify", { headers: { authorization: `Bearer ${issued.key}` } })).json()).valid).toBe(true);

  await page.goto("/dashboard/keys");
  await page.getByText("Report a leaked key").click();
  const form = page.getByRole("form", { name: "Report a leaked key" });
  await form.getByLabel("The leaked key").fill(issued.key);
  await form.getByLabel("Where it was found").fill("https://gist.github.com/someone/abc");
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/report-leak.png", mask: [form.getByLabel("The leaked key")] });
  page.once("dialog", (d) => d.accept());
  await form.getByRole("button", { name: "Revoke it now" }).click();
  await expect(form.getByRole("status")).toContainText(`Key ${issued.prefix}… is revoked now`);
  // The key is not in the page's URL or text after the report.
  expect(page.url()).not.toContain(issued.key);
  await expect(page.locator("body")).not.toContainText(issued.key);
  const after = await (await request.post("/api/v1/keys/verify", { headers: { authorization: `Bearer ${issued.key}` } })).json();
  expect(after.valid).toBe(false);
});
