import { expect, test } from "@playwright/test";
import { Secret, TOTP } from "otpauth";
import { expectAccessible } from "../support/axe";
import { inviteStaff, passwordStep, STRONG_PASSWORD } from "../support/staff";

/** The code an authenticator app shows for `secret` at `when` (the same library as the server, as a phone would). */
function codeAt(secret: string, when: number): string {
  return new TOTP({ secret: Secret.fromBase32(secret.replace(/\s/g, "")), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: when });
}

test("an operator sets up multi-factor sign-in with a QR code and signs in with password and code; a wrong code is refused", async ({ page, browser }) => {
  test.slow(); // an invitation, two sign-ins, enrolment and four axe scans
  // The admin invites an operator of this test's own; the operator replaces the one-time password.
  const { page: op, email } = await inviteStaff(page, browser, "operator", "mfa");

  // Enrolment: the password again, then the QR code and the key spelled out.
  await op.goto("/dashboard/account");
  const mfa = op.getByRole("region", { name: "Multi-factor sign-in" });
  await expect(mfa.getByText("Your password alone signs you in")).toBeVisible();
  const start = mfa.getByRole("form", { name: "Set up multi-factor sign-in" });
  await start.getByLabel("Current password").fill("not my password");
  await start.getByRole("button", { name: "Set up multi-factor sign-in" }).click();
  await expect(start.getByRole("status")).toContainText("is not your current password");
  await start.getByLabel("Current password").fill(STRONG_PASSWORD);
  await start.getByRole("button", { name: "Set up multi-factor sign-in" }).click();
  const qr = mfa.getByRole("img", { name: "QR code to scan with your authenticator app" });
  await expect(qr).toBeVisible();
  expect(await qr.getAttribute("src")).toMatch(/^data:image\/svg\+xml;base64,/);
  const secret = (await mfa.getByLabel("Your setup key").innerText()).replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  // The page's <title> is rendered back after the action's re-render: wait for it, as axe reads it.
  await expect(op).toHaveTitle(/Your account/);
  await expectAccessible(op);
  await op.screenshot({ path: "e2e/screenshots/mfa-enrolment.png", fullPage: true });

  const confirm = mfa.getByRole("form", { name: "Confirm multi-factor sign-in" });
  const now = Date.now();
  const wrong = codeAt(secret, now - 5 * 60_000) === codeAt(secret, now) ? "000000" : codeAt(secret, now - 5 * 60_000);
  await confirm.getByLabel("Code from your app").fill(wrong);
  await confirm.getByRole("button", { name: "Turn on" }).click();
  await expect(confirm.getByRole("status")).toContainText("is not the current code from your app");
  await confirm.getByLabel("Code from your app").fill(codeAt(secret, Date.now()));
  await confirm.getByRole("button", { name: "Turn on" }).click();
  const recovery = mfa.getByRole("region", { name: "Your recovery codes" });
  await expect(recovery.getByRole("listitem")).toHaveCount(10);
  const codes = await recovery.getByRole("listitem").allInnerTexts();
  for (const c of codes) expect(c.trim()).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/);
  await expectAccessible(op);
  await op.screenshot({ path: "e2e/screenshots/mfa-recovery-codes.png", fullPage: true });
  await recovery.getByRole("button", { name: "I have saved them" }).click();
  await expect(mfa.getByText("10 recovery codes left.")).toBeVisible();

  // Sign out; signing in again asks for the code after the password.
  await op.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(op).toHaveURL(/\/$/);
  const again = await passwordStep(browser, email, STRONG_PASSWORD);
  const codeForm = again.getByRole("form", { name: "Enter your authentication code" });
  await expect(codeForm.getByLabel("Authentication code")).toBeFocused();
  await expect(codeForm.getByLabel("Authentication code")).toHaveValue(""); // a fresh field: nothing of the password step carried over
  await expect(again.getByLabel("Password")).toHaveCount(0);
  await expect(codeForm.getByText(`Signing in as ${email}`)).toBeVisible();
  expect(again.url()).not.toContain(STRONG_PASSWORD);
  await expectAccessible(again);
  await again.screenshot({ path: "e2e/screenshots/mfa-sign-in-code.png", fullPage: true });

  // A wrong code is refused, and the form stays on the code step.
  await codeForm.getByLabel("Authentication code").fill(wrong);
  await codeForm.getByRole("button", { name: "Verify" }).click();
  await expect(codeForm.getByRole("alert")).toContainText("That code did not work");
  await expect(again).toHaveURL(/\/signin/);
  await expectAccessible(again);
  await again.screenshot({ path: "e2e/screenshots/mfa-sign-in-wrong-code.png", fullPage: true });

  // The next time step's code (accepted for clock drift) cannot be the one used to confirm: codes work once.
  await codeForm.getByLabel("Authentication code").fill(codeAt(secret, Date.now() + 30_000));
  await codeForm.getByRole("button", { name: "Verify" }).click();
  await expect(again).toHaveURL(/\/dashboard\/keys$/);
  await expect(again.getByRole("heading", { name: "Keys", level: 1 })).toBeVisible();
  await again.goto("/dashboard/account");
  await expect(again.getByRole("region", { name: "Multi-factor sign-in" }).getByText(/Since .* UTC/)).toBeVisible();
  const sessions = again.getByRole("region", { name: "Where you are signed in" });
  await expect(sessions.getByText("by password and authenticator code")).toBeVisible();

  // The admin sees it on, and can reset it (a lost device): the operator's session ends.
  await page.goto("/dashboard/users");
  const row = page.getByRole("row").filter({ hasText: email });
  await expect(row.getByText("on", { exact: true })).toBeVisible();
  await row.getByRole("button", { name: `Reset multi-factor sign-in of ${email}` }).click();
  await expect(row.getByText("off", { exact: true })).toBeVisible();
  await again.goto("/dashboard/keys");
  await expect(again).toHaveURL(/\/signin\?callbackUrl=/);
  await Promise.all([op.context().close(), again.context().close()]);
});
