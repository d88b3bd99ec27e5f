import { expect, type Browser, type Page } from "@playwright/test";

/** A password that passes the strength check, for the staff members the tests invite. */
export const STRONG_PASSWORD = "copper lantern meadow 77";

/** Signs in with email and password in a fresh browser of its own (no stored session); returns its page. */
export async function passwordStep(browser: Browser, email: string, password: string): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/signin");
  const form = page.getByRole("form", { name: "Sign in with a password" });
  await form.getByLabel("Email").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in", exact: true }).click();
  return page;
}

/**
 * An admin (`admin`, signed in) invites a new staff member of the test's own,
 * who signs in with the one-time password and chooses STRONG_PASSWORD: the
 * shared demo accounts stay as every other spec expects them.
 */
export async function inviteStaff(admin: Page, browser: Browser, role: "operator" | "auditor", prefix: string): Promise<{ page: Page; email: string }> {
  await admin.goto("/dashboard/users");
  const invite = admin.getByRole("form", { name: "Invite a user" });
  const email = `${prefix}-${Date.now()}@example.com`;
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Role").selectOption(role);
  await invite.getByRole("button", { name: "Invite" }).click();
  const oneTime = await invite.locator("code.secret").innerText();
  const page = await passwordStep(browser, email, oneTime);
  await expect(page).toHaveURL(/\/dashboard\/account\?first=1$/);
  const password = page.getByRole("form", { name: "Change your password" });
  await password.getByLabel("Current password").fill(oneTime);
  await password.getByLabel("New password", { exact: true }).fill(STRONG_PASSWORD);
  await password.getByLabel("New password, again").fill(STRONG_PASSWORD);
  await password.getByRole("button", { name: "Change password" }).click();
  await expect(password.getByRole("status")).toContainText("Your password is changed.");
  return { page, email };
}
