import { test } from "@playwright/test";
import { checkPage, WIDTHS } from "../support/every-page";

// What a visitor can open, at a laptop's and a phone's width (e2e/support/every-page.ts).
test(`every page of a visitor, at ${WIDTHS.join(" and ")} px: accessible, nothing past the right edge`, async ({ page }) => {
  for (const path of ["/", "/signin", "/docs/api", "/docs/agent", "/no-such-page"]) {
    for (const width of WIDTHS) await checkPage(page, "visitor", path, width, path === "/no-such-page" ? 404 : 200);
  }
});
