import { expect, test } from "@playwright/test";
import { expectAccessible } from "../support/axe";
import { latestSignInLink } from "../support/mail";

const GLOBEX_CUSTOMER = "api-team@globex.example";

test("the admin edits a policy: a contradiction is refused with its reason, a valid change is saved", async ({ page }) => {
  await page.goto("/dashboard/policies");
  const form = page.getByRole("form", { name: /Edit Strict/ });
  await form.getByLabel("Emergency grace (hours)").fill("500");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText("Emergency grace (hours): must be at most 168 hours");
  await form.getByLabel("Emergency grace (hours)").fill("30");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toContainText("must not be longer than the normal grace period");
  await form.getByLabel("Emergency grace (hours)").fill("2");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText(/Policy "Strict.*" saved\./);
  await page.reload();
  await expect(page.getByRole("form", { name: /Edit Strict/ }).getByLabel("Emergency grace (hours)")).toHaveValue("2");
  await page.screenshot({ path: "e2e/screenshots/policies.png", fullPage: true });
});

test("the admin sees organizations with their overdue keys and opens one", async ({ page }) => {
  await page.goto("/dashboard/organizations");
  await expect(page.getByRole("heading", { name: "Organizations", level: 1 })).toBeVisible();
  await page.getByRole("link", { name: "Globex Payments" }).click();
  await expect(page.getByRole("heading", { name: "Globex Payments", level: 1 })).toBeVisible();
  const policy = page.getByRole("region", { name: "Policy" });
  await expect(policy).toContainText("Strict");
  await page.screenshot({ path: "e2e/screenshots/organization.png", fullPage: true });
  // A change is previewed first: what it does to the keys, then applied or not.
  await policy.getByLabel("Change policy").selectOption({ label: "the default policy" });
  const impact = policy.getByRole("region", { name: "What this change does" });
  await expect(impact).toContainText(/From Strict \(payments and health\) \(\d+ days\) to Default \(90 days\), for this organization's \d+ keys? in use/);
  await expect(impact).toContainText(/past max age: \d+ keys? now, \d+ keys? after the change/);
  await expect(impact).toContainText(/the next cron run schedules a rotation for \d+ keys?/);
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/policy-impact.png", fullPage: true });
  await impact.getByRole("button", { name: /^Keep / }).click();
  await expect(impact).toHaveCount(0);
  await expect(policy.getByRole("heading")).toHaveText("Policy: Strict (payments and health)");
  await policy.getByLabel("Change policy").selectOption({ label: "the default policy" });
  await impact.getByRole("button", { name: "Apply Default" }).click();
  await expect(policy.getByRole("status")).toHaveText("The organization now follows the default policy.");
  await expect(policy.getByRole("heading")).toHaveText("Policy: Default");
  await policy.getByLabel("Change policy").selectOption({ label: "Strict (payments and health)" });
  await impact.getByRole("button", { name: "Apply Strict (payments and health)" }).click();
  await expect(policy.getByRole("heading")).toHaveText("Policy: Strict (payments and health)");
});

test("a max age above a year needs an exception reason, which is shown wherever the policy is", async ({ page }) => {
  await page.goto("/dashboard/policies");
  const form = page.getByRole("form", { name: /Edit Strict/ });
  await form.getByLabel("Max key age (days)").fill("400");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toContainText("Exception reason: is required, at least 10 characters: a max age of 400 days is above 365");
  await expect(form.getByLabel("Exception reason")).toHaveAttribute("aria-invalid", "true");
  const reason = "Card terminals in the field are re-keyed at their yearly service visit.";
  await form.getByLabel("Exception reason").fill(reason);
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toHaveText(/Policy "Strict.*" saved\./);
  await page.reload();
  const card = page.getByRole("region", { name: /^Strict/ });
  await expect(card.getByText("outside the usual bounds", { exact: true })).toBeVisible();
  await expect(card).toContainText(reason);
  await expectAccessible(page);
  await page.screenshot({ path: "e2e/screenshots/policy-exception.png", fullPage: true });
  await page.goto("/dashboard/organizations");
  await expect(page.getByRole("row").filter({ hasText: "Globex Payments" })).toContainText(reason);
  await expect(page.getByRole("row").filter({ hasText: "Acme Logistics" })).not.toContainText("outside the usual bounds");
  await page.screenshot({ path: "e2e/screenshots/organizations-exception.png", fullPage: true });
  await page.getByRole("link", { name: "Globex Payments" }).click();
  await expect(page.getByRole("region", { name: "Policy" })).toContainText(reason);

  // The customer sees it where their portal states the policy.
  const asked = Date.now() - 1000;
  // A context of its own, signed out: the project's admin session would otherwise come with it.
  const customer = await (
    await page
      .context()
      .browser()!
      .newContext({ storageState: { cookies: [], origins: [] } })
  ).newPage();
  await customer.goto("/signin");
  const linkForm = customer.getByRole("form", { name: "Email me a sign-in link" });
  await linkForm.getByLabel("Email").fill(GLOBEX_CUSTOMER);
  await linkForm.getByRole("button", { name: "Email me a sign-in link" }).click();
  let link: string | null = null;
  await expect.poll(async () => (link = await latestSignInLink(GLOBEX_CUSTOMER, asked)), { timeout: 10_000 }).not.toBeNull();
  await customer.goto(link!);
  await customer.goto("/portal");
  await expect(customer.getByRole("heading", { name: "Your keys", level: 1 })).toBeVisible();
  await expect(customer.getByText(reason)).toBeVisible();
  await expectAccessible(customer);
  await customer.screenshot({ path: "e2e/screenshots/portal-policy-exception.png", fullPage: true });
  await customer.context().close();

  // Back within bounds, the reason goes with the exception.
  await page.goto("/dashboard/policies");
  await page
    .getByRole("form", { name: /Edit Strict/ })
    .getByLabel("Max key age (days)")
    .fill("30");
  await page
    .getByRole("form", { name: /Edit Strict/ })
    .getByRole("button", { name: "Save" })
    .click();
  await expect(page.getByRole("form", { name: /Edit Strict/ }).getByRole("status")).toHaveText(/saved/);
  await page.reload();
  await expect(page.getByRole("region", { name: /^Strict/ }).getByText("outside the usual bounds", { exact: true })).toHaveCount(0);
  await expect(page.getByRole("form", { name: /Edit Strict/ }).getByLabel("Exception reason")).toHaveValue("");
});
