import { expect, test } from "@playwright/test";
import { createHash } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";

const OUT = "test-results/reports";
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The CSV's Summary section as figure → value. */
function summaryOf(csv: string): Map<string, string> {
  const section = csv.split("\n\n").find((s) => s.startsWith("Summary\n"))!;
  return new Map(
    section
      .trim()
      .split("\n")
      .slice(2)
      .map((line) => {
        const m = /^"?(.*?)"?,([^,]*)$/.exec(line)!;
        return [m[1], m[2]];
      }),
  );
}

test("an auditor picks last quarter, downloads the CSV and the PDF, and both carry the same figures and evidence", async ({ page }) => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  await page.goto("/dashboard/reports");
  await expect(page.getByRole("heading", { name: "Reports" })).toBeVisible();
  const form = page.getByRole("form", { name: "Report scope" });
  await form.getByLabel("Period").selectOption("last-quarter");
  await form.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/period=last-quarter/);
  await expect(page.getByText("Showing last quarter instead")).toHaveCount(0); // the empty date fields of a preset are not an error
  await expect(page.getByRole("heading", { level: 2 }).first()).toContainText(/^Q\d \d{4}/);
  const shownInScope = await page
    .getByRole("region", { name: "Figures" })
    .locator("dt", { hasText: "Keys in scope" })
    .locator("xpath=following-sibling::dd[1]")
    .textContent();
  await page.screenshot({ path: "e2e/screenshots/reports.png", fullPage: true });

  const save = async (name: string) => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()]);
    const file = path.join(OUT, download.suggestedFilename());
    await download.saveAs(file);
    return file;
  };
  const csvFile = await save("Compliance report (CSV)");
  expect(path.basename(csvFile)).toMatch(/^rekey-compliance-\d{4}-\d{2}-01-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const csv = readFileSync(csvFile, "utf8");
  const figures = summaryOf(csv);
  expect(figures.get("Keys in scope")).toBe(shownInScope);
  expect(Number(figures.get("Keys in scope"))).toBeGreaterThan(0);
  expect(csv).toMatch(/^audit chain,intact: events \d+ to \d+/m);
  expect(csv).not.toMatch(/rk_(live|test)_[0-9A-Za-z]{49}/);

  const pdfFile = await save("Compliance report (PDF)");
  expect(readFileSync(pdfFile).subarray(0, 5).toString()).toBe("%PDF-");
  const text = execFileSync("pdftotext", ["-layout", pdfFile, "-"], { encoding: "utf8" });
  // The PDF quotes the SHA-256 of the CSV just downloaded: the same data.
  expect(text).toContain(sha256(csvFile));
  expect(text).toContain("Compliance report");
  const atEnd = figures.get("Compliance at the period's end (%)")!;
  // A sentence may wrap across lines in the PDF: compare with the spaces made single.
  expect(text.replace(/\s+/g, " ")).toContain(`${atEnd}% of keys in use were within policy at the end of the period`);
  expect(text).toMatch(new RegExp(`Keys in scope\\s+${figures.get("Keys in scope")}`));
  expect(text).toMatch(/Audit trail over the period[\s\S]*intact: events/);
  // Pages as PNG for a reviewer.
  execFileSync("pdftoppm", ["-r", "60", "-png", pdfFile, "e2e/screenshots/report-page"]);
  expect(readdirSync("e2e/screenshots").filter((f) => f.startsWith("report-page")).length).toBeGreaterThanOrEqual(4);

  // The audit log of the period checks out offline with the documented command.
  const jsonl = await save("Audit log (JSON Lines)");
  const check = spawnSync(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts", jsonl], { encoding: "utf8" });
  expect(check.status, check.stdout + check.stderr).toBe(0);
  expect(check.stdout).toMatch(/^Intact: \d+ event\(s\)/);

  // Each download is recorded with the file's digest.
  await page.reload();
  const recent = page.getByRole("table", { name: "Recent report downloads" });
  await expect(recent).toContainText("audit-log.jsonl");
  await expect(recent.getByRole("row").filter({ hasText: "compliance.csv" }).first()).toContainText(sha256(csvFile).slice(0, 16));

  // And on a phone.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await page.screenshot({ path: "e2e/screenshots/reports-phone.png", fullPage: true });
});
