import { expect, test, type Browser } from "@playwright/test";
import { expectAccessible } from "../support/axe";
import { passwordStep } from "../support/staff";

const STRONG = "violet tractor harbour 42";

/** A fresh browser signed in with a password (e2e/support/staff.ts): its page and its context. */
async function signIn(browser: Browser, email: string, password: string) {
  const page = await passwordStep(browser, email, password);
  return { context: page.context(), page };
}

test("an invited operator must choose their own password; sessions are listed and end for every copy of the cookie", async ({ page, browser }) => {
  test.slow(); // three browsers, a dozen page loads and two axe scans: more than the default minute on a busy machine
  // The admin invites an operator and hands over the one-time password.
  await page.goto("/dashboard/users");
  const invite = page.getByRole("form", { name: "Invite a user" });
  const email = `sessions-${Date.now()}@example.com`;
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Role").selectOption("operator");
  await invite.getByRole("button", { name: "Invite" }).click();
  const oneTime = await invite.locator("code.secret").innerText();

  // First sign-in: the account page, and nothing else, until a password of their own is chosen.
  const first = await signIn(browser, email, oneTime);
  await expect(first.page).toHaveURL(/\/dashboard\/account\?first=1$/);
  await expect(first.page.getByRole("main").getByRole("alert")).toContainText("Choose your own password");
  await first.page.goto("/dashboard/keys");
  await expect(first.page).toHaveURL(/\/dashboard\/account\?first=1$/);
  await expectAccessible(first.page);
  await first.page.screenshot({ path: "e2e/screenshots/account-first-sign-in.png", fullPage: true });
  const form = first.page.getByRole("form", { name: "Change your password" });
  await form.getByLabel("Current password").fill(oneTime);
  await form.getByLabel("New password", { exact: true }).fill("password1234");
  await form.getByLabel("New password, again").fill("password1234");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toContainText("too easy to guess");
  await form.getByLabel("New password", { exact: true }).fill(STRONG);
  await form.getByLabel("New password, again").fill(STRONG);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toContainText("Your password is changed.");
  await first.page.goto("/dashboard/keys");
  await expect(first.page.getByRole("heading", { name: "Keys", level: 1 })).toBeVisible();

  // A second browser; and a stolen copy of the first one's cookie.
  const second = await signIn(browser, email, STRONG);
  await expect(second.page).toHaveURL(/\/dashboard\/keys$/);
  const stolen = await browser.newContext({ storageState: await first.context.storageState() });
  const thief = await stolen.newPage();
  await thief.goto("/dashboard/keys");
  await expect(thief.getByRole("heading", { name: "Keys", level: 1 })).toBeVisible();

  // The first browser sees both sessions and ends the second's.
  await first.page.goto("/dashboard/account");
  const sessions = first.page.getByRole("region", { name: "Where you are signed in" });
  await expect(sessions.getByRole("row")).toHaveCount(3); // header + 2
  await expect(sessions.getByText("this browser")).toBeVisible();
  await expectAccessible(first.page);
  await first.page.screenshot({ path: "e2e/screenshots/account-sessions.png", fullPage: true });
  await sessions.getByRole("button", { name: /^End the session of/ }).click();
  await expect(sessions.getByRole("row")).toHaveCount(2); // the ended session leaves the list
  await second.page.goto("/dashboard/keys");
  await expect(second.page).toHaveURL(/\/signin\?callbackUrl=/);

  // Signing out ends the session itself: the copied cookie stops working too.
  await first.page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(first.page).toHaveURL(/\/$/);
  await thief.goto("/dashboard/keys");
  await expect(thief).toHaveURL(/\/signin\?callbackUrl=/);
  const session = await thief.request.get("/api/auth/session");
  expect(await session.json()).toEqual({});
  await Promise.all([first.context.close(), second.context.close(), stolen.close()]);
});

test("with scripts blocked, the sign-in form posts: the password never lands in the URL", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto("/signin");
  const form = page.getByRole("form", { name: "Sign in with a password" });
  await form.getByLabel("Email").fill("operator@rekey.local");
  await form.getByLabel("Password").fill("a-password-that-must-not-leak");
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.isNavigationRequest()),
    form.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  expect(request.method()).toBe("POST");
  expect(request.url()).not.toContain("a-password-that-must-not-leak");
  await page.waitForLoadState();
  expect(page.url()).not.toContain("a-password-that-must-not-leak");
  await context.close();
});

test("a callbackUrl to another host is ignored, for a signed-in user and at sign-in", async ({ page, browser }) => {
  const evil = ["/\\evil.example", "/%09/evil.example", "//evil.example", "https://evil.example/"];
  for (const to of evil) {
    await page.goto(`/signin?callbackUrl=${encodeURIComponent(to)}`);
    await expect(page, to).toHaveURL(/^http:\/\/localhost:\d+\/dashboard\/keys$/);
  }
  await page.goto("/signin?callbackUrl=/%09/evil.example"); // a raw tab, as a pen tester sends it
  await expect(page).toHaveURL(/^http:\/\/localhost:\d+\/dashboard\/keys$/);
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const visitor = await context.newPage();
  await visitor.goto(`/signin?callbackUrl=${encodeURIComponent(evil[0])}`);
  await expectAccessible(visitor);
  await context.close();
});
