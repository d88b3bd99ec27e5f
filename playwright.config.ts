import { defineConfig, devices } from "@playwright/test";
import { existsSync } from "node:fs";

// Playwright's own browser download does not work everywhere rekey is built
// (PLATFORM.md): use Debian's Chromium when it is there, or PLAYWRIGHT_CHROMIUM_PATH.
const executablePath = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BOOTSTRAP_TOKEN = "e2e-bootstrap-token-0123456789abcdef";

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 900 } } },
  ],
  webServer: {
    // The README's own start command, on a throwaway embedded database with demo data.
    command: "rm -rf .e2e-data && npm start",
    url: `http://127.0.0.1:${PORT}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: { PORT: String(PORT), REKEY_DATA_DIR: ".e2e-data", REKEY_BOOTSTRAP_TOKEN: E2E_BOOTSTRAP_TOKEN, NEXT_TELEMETRY_DISABLED: "1", DATABASE_URL: "" },
  },
});
