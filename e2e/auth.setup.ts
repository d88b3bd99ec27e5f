import { expect, test as setup } from "@playwright/test";
import { ADMIN, AUDITOR, OPERATOR, authFile } from "./support/accounts";

for (const [role, account] of Object.entries({ admin: ADMIN, operator: OPERATOR, auditor: AUDITOR })) {
  setup(`sign in as ${role}`, async ({ page }) => {
    await page.goto("/signin");
    await page.getByRole("form", { name: "Sign in with a password" }).getByLabel("Email").fill(account.email);
    await page.getByRole("form", { name: "Sign in with a password" }).getByLabel("Password").fill(account.password);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page).toHaveURL(/\/dashboard\/keys$/, { timeout: 15_000 }); // the first sign-in after start renders cold
    // The account link names who is signed in (an admin's, on a laptop, says "Account" and names them on hover).
    const accountLink = page.getByRole("navigation", { name: "Main" }).locator('a[href="/dashboard/account"]');
    await expect(accountLink).toBeVisible();
    await expect(accountLink).toHaveAttribute("title", `Your account (${account.email}, ${role}): sessions and password`);
    await page.context().storageState({ path: authFile(role) });
  });
}
