import { expect, test, type Page } from "@playwright/test";
import { expectAccessible } from "../support/axe";
import { inviteStaff, STRONG_PASSWORD } from "../support/staff";

/**
 * Chromium's virtual authenticator (DevTools protocol, WebAuthn domain): a
 * platform authenticator with discoverable credentials and user verification
 * (the fingerprint or PIN always passes), as a laptop's would be.
 */
async function addVirtualAuthenticator(page: Page): Promise<{ credentials: () => Promise<number> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials.length };
}

test("an operator adds a passkey and signs in with it alone; once removed, it no longer signs in", async ({ page, browser }) => {
  test.slow(); // an invitation, three sign-ins and three axe scans
  const { page: op, email } = await inviteStaff(page, browser, "operator", "passkey");
  const device = await addVirtualAuthenticator(op);

  await op.goto("/dashboard/account");
  const passkeys = op.getByRole("region", { name: "Passkeys" });
  await expect(passkeys.getByText("No passkeys yet.")).toBeVisible();
  const add = passkeys.getByRole("form", { name: "Add a passkey" });
  await add.getByLabel("Name").fill("Work laptop");
  await add.getByLabel("Current password").fill("not my password");
  await add.getByRole("button", { name: "Add a passkey" }).click();
  await expect(add.getByRole("status")).toContainText("Current password: is not your current password");
  expect(await device.credentials()).toBe(0);

  await add.getByLabel("Current password").fill(STRONG_PASSWORD);
  await add.getByRole("button", { name: "Add a passkey" }).click();
  await expect(add.getByRole("status")).toContainText('Passkey "Work laptop" added');
  const list = passkeys.getByRole("list", { name: "Your passkeys" });
  await expect(list.getByRole("listitem")).toHaveCount(1);
  await expect(list.getByText("Work laptop")).toBeVisible();
  await expect(list.getByText("never used")).toBeVisible();
  expect(await device.credentials()).toBe(1);
  await expect(op).toHaveTitle(/Your account/);
  await expectAccessible(op);
  await passkeys.screenshot({ path: "e2e/screenshots/passkeys-account.png" });

  // Signed out, the same browser (its authenticator holds the passkey) signs in with no password.
  await op.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(op).toHaveURL(/\/$/);
  await op.goto("/signin");
  const signIn = op.getByRole("button", { name: "Sign in with a passkey" });
  await expect(signIn).toBeVisible();
  await expectAccessible(op);
  await op.screenshot({ path: "e2e/screenshots/signin-passkey.png", fullPage: true });
  await signIn.click();
  await expect(op).toHaveURL(/\/dashboard\/keys$/);
  await op.goto("/dashboard/account");
  await expect(op.getByRole("region", { name: "Where you are signed in" }).getByText("by passkey")).toBeVisible();
  await expect(list.getByText(/last used .* UTC/)).toBeVisible();

  // The admin sees it on the users page.
  await page.goto("/dashboard/users");
  await expect(page.getByRole("row").filter({ hasText: email }).getByText("1 passkey")).toBeVisible();

  // Removed (after the password), it signs nobody in, though the device still holds it.
  await list.getByRole("button", { name: "Remove passkey Work laptop" }).click();
  const remove = passkeys.getByRole("form", { name: "Remove passkey Work laptop" });
  await remove.getByLabel("Current password").fill(STRONG_PASSWORD);
  await remove.getByRole("button", { name: "Remove" }).click();
  await expect(passkeys.getByRole("status").first()).toContainText('Passkey "Work laptop" removed');
  await expect(passkeys.getByText("No passkeys yet.")).toBeVisible();
  await expectAccessible(op);
  await op.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(op).toHaveURL(/\/$/);
  await op.goto("/signin");
  await op.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(op.getByRole("form", { name: "Sign in with a password" }).getByRole("alert")).toContainText("That passkey did not sign you in.");
  await expect(op).toHaveURL(/\/signin/);
  await op.context().close();
});
