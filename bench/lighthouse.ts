/**
 * `npm run bench:lighthouse [-- --base URL] [--mobile]`: Lighthouse (desktop preset, or mobile emulation; performance and accessibility) on the pages a
 * security lead lives in, signed in as the admin, against a running rekey (`npm start`). Prints one line a page.
 * Lighthouse 12.8 (the last that runs on Node 20) is fetched by npx on first use, so it is not a dependency of rekey;
 * the browser is Debian's Chromium when there is one (PLAYWRIGHT_CHROMIUM_PATH, else /usr/bin/chromium).
 * Needs REKEY_ADMIN_EMAIL and REKEY_ADMIN_PASSWORD (or the demo accounts' password in REKEY_DEMO_PASSWORD).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    base: { type: "string", default: "http://localhost:3000" },
    runs: { type: "string", default: "3" },
    // Lighthouse's mobile emulation (a mid-range phone, 4x CPU slowdown, slow 4G) instead of the desktop preset.
    mobile: { type: "boolean", default: false },
  },
});
const base = values.base!;
const runs = Number(values.runs);
const chromePath = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const email = process.env.REKEY_ADMIN_EMAIL ?? "admin@rekey.local";
const password = process.env.REKEY_ADMIN_PASSWORD ?? process.env.REKEY_DEMO_PASSWORD;
if (!password) {
  console.error("Set REKEY_ADMIN_PASSWORD (or REKEY_DEMO_PASSWORD) to the admin's password: the pages are signed in.");
  process.exit(2);
}

// Signed in once through the real form; Lighthouse sends the session cookie with every request.
const browser = await chromium.launch({ executablePath: chromePath });
const page = await browser.newPage();
await page.goto(`${base}/signin`);
const form = page.getByRole("form", { name: "Sign in with a password" });
await form.getByLabel("Email").fill(email);
await form.getByLabel("Password").fill(password);
await form.getByRole("button", { name: "Sign in", exact: true }).click();
await page.waitForURL(/\/dashboard/);
const cookie = (await page.context().cookies(base)).map((c) => `${c.name}=${c.value}`).join("; ");
await page.goto(`${base}/dashboard/keys`);
const keyPage = await page.locator('main a[href^="/dashboard/keys/"]').first().getAttribute("href");
await browser.close();

const pages: Array<[string, boolean]> = [
  ["/signin", false],
  ["/dashboard", true],
  ["/dashboard/keys", true],
  ["/dashboard/alerts", true],
  [keyPage ?? "/dashboard/keys", true],
  ["/docs/api", false],
];
const out = mkdtempSync(path.join(tmpdir(), "rekey-lighthouse-"));
console.log(`Lighthouse 12.8.2, ${values.mobile ? "mobile emulation" : "desktop preset"}, median of ${runs} run(s) a page, ${base}`);
console.log("page                                   performance  accessibility  blocking ms  LCP ms  CLS");
for (const [pathname, signedIn] of pages) {
  const results: Array<{ perf: number; a11y: number; tbt: number; lcp: number; cls: number }> = [];
  for (let i = 0; i < runs; i++) {
    const file = path.join(out, `${pathname.replace(/\W+/g, "-")}-${i}.json`);
    await run(
      "npx",
      [
        "-y",
        "lighthouse@12.8.2",
        `${base}${pathname}`,
        ...(values.mobile ? [] : ["--preset=desktop"]),
        "--only-categories=performance,accessibility",
        "--output=json",
        `--output-path=${file}`,
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox",
        ...(signedIn ? [`--extra-headers=${JSON.stringify({ Cookie: cookie })}`] : []),
      ],
      { env: { ...process.env, ...(chromePath ? { CHROME_PATH: chromePath } : {}) }, maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(readFileSync(file, "utf8")) as {
      finalDisplayedUrl: string;
      categories: Record<string, { score: number }>;
      audits: Record<string, { numericValue?: number }>;
    };
    if (signedIn && new URL(report.finalDisplayedUrl).pathname.startsWith("/signin")) throw new Error(`${pathname}: not signed in`);
    results.push({
      perf: Math.round(report.categories.performance.score * 100),
      a11y: Math.round(report.categories.accessibility.score * 100),
      tbt: Math.round(report.audits["total-blocking-time"].numericValue ?? 0),
      lcp: Math.round(report.audits["largest-contentful-paint"].numericValue ?? 0),
      cls: report.audits["cumulative-layout-shift"].numericValue ?? 0,
    });
  }
  const median = <K extends keyof (typeof results)[number]>(k: K) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  const shown = pathname.replace(/[0-9a-f-]{36}/, "<id>");
  console.log(
    `${shown.padEnd(38)} ${String(median("perf")).padStart(11)}  ${String(median("a11y")).padStart(13)}  ${String(median("tbt")).padStart(11)}  ${String(median("lcp")).padStart(6)}  ${median("cls").toFixed(3)}`,
  );
}
