import { expect, test } from "@playwright/test";
import { signInWithLink } from "../support/mail";
import { checkPage, firstLink, WIDTHS } from "../support/every-page";

// Every page of the portal, at a laptop's and a phone's width, as Acme's
// customer after the other portal specs: axe, no text past the right edge,
// a screenshot each (e2e/support/every-page.ts).
test(`every page of a customer, at ${WIDTHS.join(" and ")} px: accessible, nothing past the right edge`, async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await (await browser.newContext()).newPage();
  await page.goto("/portal");
  await signInWithLink(page, "platform@acme.example");
  await expect(page).toHaveURL(/\/portal$/);
  const key = await firstLink(page, /^\/portal\/keys\/[0-9a-f-]{36}$/);
  await page.goto("/portal/webhooks");
  const webhook = await firstLink(page, /^\/portal\/webhooks\/[0-9a-f-]{36}$/);
  for (const path of ["/portal", "/portal/contacts", "/portal/webhooks", "/portal/account", "/docs/api", key, webhook].filter((p): p is string => !!p)) {
    for (const width of WIDTHS) await checkPage(page, "customer", path, width);
  }
  await page.context().close();
});
