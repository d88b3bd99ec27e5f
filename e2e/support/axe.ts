import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/** Fails on any WCAG 2.1 A/AA violation axe-core finds on the page as it is now, naming each (`soft`: the test goes on, and fails at its end). */
export async function expectAccessible(page: Page, options: { soft?: boolean } = {}) {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  (options.soft ? expect.soft : expect)(violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([]);
}
