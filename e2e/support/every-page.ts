import { expect, type Browser, type Page } from "@playwright/test";
import { expectAccessible } from "./axe";

const SCREENSHOT_MAX_HEIGHT = 2400;

/** The widths every page is checked at: a laptop and a phone. */
export const WIDTHS = [1280, 390] as const;

/**
 * Opens `path` at `width`, and checks what issue 15 asks of every page of
 * every role: no WCAG 2.1 A/AA violation axe-core finds, nothing wider than
 * the screen (no sideways scroll of the page, no text of a list past the
 * right edge, hidden in a table's own scroll box), and a screenshot of the
 * page to look at (e2e/screenshots/pages/, committed).
 */
export async function checkPage(page: Page, role: string, path: string, width: number, status = 200): Promise<void> {
  await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
  const response = await page.goto(path);
  expect(response?.status(), `${path} at ${width} px`).toBe(status);
  await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
  await expectAccessible(page, { soft: true });
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width + 1) out.push(`page is ${document.documentElement.scrollWidth} px wide`);
    for (const el of document.querySelectorAll<HTMLElement>("main td, main th, main li, main dd, main dt")) {
      const rect = el.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0 || !el.innerText.trim()) continue;
      // Clipped away for sight and kept for screen readers (a phone's card table keeps its headers so).
      const clipped = [el.closest(".sr-only"), el.closest("thead")].some((a) => a && a.getBoundingClientRect().width <= 2);
      if (clipped) continue;
      if (rect.right > width + 1) out.push(`${el.tagName.toLowerCase()} "${el.innerText.trim().slice(0, 40)}" ends at ${Math.round(rect.right)} px`);
    }
    return out.slice(0, 5);
  });
  expect.soft(overflow, `${path} at ${width} px: nothing past the right edge`).toEqual([]);
  // A list's table is a stack of cards on a phone: each body cell carries its column's label from the server
  // (components/card-table.tsx), or a card reads as bare values.
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(":is(.table-wrap, .scroll-x) table tbody td:not([data-label])")]
      .map((td) => td.innerText.trim().slice(0, 40))
      .slice(0, 5),
  );
  expect.soft(unlabelled, `${path}: every cell of a list's table has its column's label`).toEqual([]);
  const slug =
    path
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "id")
      .replace(/^\//, "")
      .replace(/[^a-z0-9]+/gi, "-")
      .replace(/-+$/, "") || "home";
  // Committed (issue 15), so kept small: JPEG, the first SCREENSHOT_MAX_HEIGHT px of the page.
  const height = Math.min(SCREENSHOT_MAX_HEIGHT, await page.evaluate(() => document.documentElement.scrollHeight));
  await page.screenshot({
    path: `e2e/screenshots/pages/${role}-${slug}-${width}.jpg`,
    type: "jpeg",
    quality: 45,
    fullPage: true,
    clip: { x: 0, y: 0, width, height },
  });
}

/** The href of the first link in the page's main content matching `pattern`, or null. */
export async function firstLink(page: Page, pattern: RegExp): Promise<string | null> {
  const hrefs = await page.locator("main a[href]").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
  return hrefs.find((h) => pattern.test(h)) ?? null;
}

/** A page of its own in a fresh context with `storageState` (a role's saved session). */
export async function pageAs(browser: Browser, storageState: string): Promise<Page> {
  return (await browser.newContext({ storageState })).newPage();
}
