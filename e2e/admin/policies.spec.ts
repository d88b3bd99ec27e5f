import { expect, test } from "@playwright/test";

test("the admin edits a policy: a contradiction is refused with its reason, a valid change is saved", async ({ page }) => {
  await page.goto("/dashboard/policies");
  const form = page.getByRole("form", { name: /Edit Strict/ });
  await form.getByLabel("Emergency grace (hours)").fill("500");
  await form.getByRole("button", { name: "Save" }).click();
  await expect(form.getByRole("status")).toContainText("emergencyGraceHours: must be at most 168 hours");
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
  await policy.getByLabel("Change policy").selectOption({ label: "the default policy" });
  await expect(policy.getByRole("status")).toHaveText("The organization now follows the default policy.");
  await expect(policy.getByRole("heading")).toHaveText("Policy: Default");
  await policy.getByLabel("Change policy").selectOption({ label: "Strict (payments and health)" });
  await expect(policy.getByRole("heading")).toHaveText("Policy: Strict (payments and health)");
});
