import { defineConfig, devices } from "@playwright/test";
import { existsSync } from "node:fs";
import { ADMIN, DEMO_PASSWORD_FOR_SERVER, E2E_BOOTSTRAP_TOKEN, E2E_CRON_SECRET, authFile } from "./e2e/support/accounts";

// Playwright's own browser download does not work everywhere rekey is built
// (PLATFORM.md): use Debian's Chromium when it is there, or PLAYWRIGHT_CHROMIUM_PATH.
const executablePath = process.env.PLAYWRIGHT_CHROMIUM_PATH ?? (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const PORT = Number(process.env.E2E_PORT ?? 3100);
// localhost, not 127.0.0.1: WebAuthn refuses an IP address as a relying party id (e2e/admin/passkeys.spec.ts).
const baseURL = `http://localhost:${PORT}`;
const browser = { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 900 } };

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results",
  timeout: 60_000,
  fullyParallel: false,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  // One project per kind of user; each signs in once (auth.setup.ts) and reuses the session.
  projects: [
    { name: "setup", testMatch: /auth\.setup\.ts/, use: browser },
    { name: "public", testMatch: /public\/.*\.spec\.ts/, use: browser },
    { name: "admin", testMatch: /admin\/.*\.spec\.ts/, dependencies: ["setup"], use: { ...browser, storageState: authFile("admin") } },
    { name: "operator", testMatch: /operator\/.*\.spec\.ts/, dependencies: ["setup"], use: { ...browser, storageState: authFile("operator") } },
    { name: "auditor", testMatch: /auditor\/.*\.spec\.ts/, dependencies: ["setup"], use: { ...browser, storageState: authFile("auditor") } },
    // The cron changes the demo world (it schedules and starts rotations for overdue keys): it runs after everyone else.
    {
      name: "cron",
      testMatch: /cron\/.*\.spec\.ts/,
      dependencies: ["admin", "operator", "auditor", "public"],
      use: { ...browser, storageState: authFile("admin") },
    },
    // Customers in the portal, after the cron has run (it delivers their rotation email).
    { name: "portal", testMatch: /portal\/.*\.spec\.ts/, dependencies: ["cron"], use: browser },
    // The README's shell examples (they add an organization, keys and a webhook): last, so no page above sees them.
    { name: "readme", testMatch: /readme\/.*\.spec\.ts/, dependencies: ["portal"], use: browser },
  ],
  webServer: {
    // The README's own start command, on a throwaway embedded database with demo data.
    command: "rm -rf .e2e-data && npm start",
    url: `${baseURL}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      PORT: String(PORT),
      REKEY_DATA_DIR: ".e2e-data",
      REKEY_BOOTSTRAP_TOKEN: E2E_BOOTSTRAP_TOKEN,
      REKEY_ADMIN_PASSWORD: ADMIN.password,
      REKEY_DEMO_PASSWORD: DEMO_PASSWORD_FOR_SERVER,
      // The tests call the cron themselves, at a moment of their choosing.
      REKEY_CRON: "off",
      CRON_SECRET: E2E_CRON_SECRET,
      NEXTAUTH_URL: baseURL,
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: "",
      // The e2e receivers listen on 127.0.0.1.
      REKEY_WEBHOOKS_ALLOW_PRIVATE: "1",
    },
  },
});
