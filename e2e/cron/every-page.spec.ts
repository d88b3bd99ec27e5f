import { test } from "@playwright/test";
import { authFile } from "../support/accounts";
import { checkPage, firstLink, pageAs, WIDTHS } from "../support/every-page";

// Every staff page of every staff role, at a laptop's and a phone's width,
// after the other specs (and the cron) have filled the demo world: axe, no
// text past the right edge, a screenshot each (e2e/support/every-page.ts).
// Pages a role may not open are left to the authorization tests.
const STAFF_PAGES = {
  admin: [
    "/dashboard",
    "/dashboard/keys",
    "/dashboard/alerts",
    "/dashboard/organizations",
    "/dashboard/policies",
    "/dashboard/reports",
    "/dashboard/secrets",
    "/dashboard/webhooks",
    "/dashboard/tokens",
    "/dashboard/users",
    "/dashboard/outbox",
    "/dashboard/account",
  ],
  operator: [
    "/dashboard",
    "/dashboard/keys",
    "/dashboard/alerts",
    "/dashboard/organizations",
    "/dashboard/policies",
    "/dashboard/secrets",
    "/dashboard/webhooks",
    "/dashboard/account",
  ],
  auditor: [
    "/dashboard",
    "/dashboard/keys",
    "/dashboard/alerts",
    "/dashboard/organizations",
    "/dashboard/policies",
    "/dashboard/reports",
    "/dashboard/secrets",
    "/dashboard/account",
  ],
} as const;

for (const [role, paths] of Object.entries(STAFF_PAGES)) {
  test(`every page of an ${role}, at ${WIDTHS.join(" and ")} px: accessible, nothing past the right edge`, async ({ browser }) => {
    test.setTimeout(240_000);
    const page = await pageAs(browser, authFile(role));
    // One of each page with an id: the first of its list.
    await page.goto("/dashboard/keys");
    await page.getByRole("table", { name: "API keys" }).waitFor(); // the list streams in after its loading state
    const key = await firstLink(page, /^\/dashboard\/keys\/[0-9a-f-]{36}$/);
    await page.goto("/dashboard/organizations");
    await page.getByRole("heading", { level: 1 }).waitFor();
    const org = await firstLink(page, /^\/dashboard\/organizations\/[0-9a-f-]{36}$/);
    let webhook: string | null = null;
    if ((paths as readonly string[]).includes("/dashboard/webhooks")) {
      await page.goto("/dashboard/webhooks");
      await page.getByRole("heading", { level: 1 }).waitFor();
      webhook = await firstLink(page, /^\/dashboard\/webhooks\/[0-9a-f-]{36}$/);
    }
    for (const path of [...paths, key, org, webhook].filter((p): p is string => !!p)) {
      for (const width of WIDTHS) await checkPage(page, role, path, width);
    }
    await page.context().close();
  });
}
