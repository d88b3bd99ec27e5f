/** The accounts the browser tests' server is started with (playwright.config.ts passes them to `npm start`). */
export const E2E_BOOTSTRAP_TOKEN = "e2e-bootstrap-token-0123456789abcdef";
export const E2E_CRON_SECRET = "e2e-cron-secret-0123456789abcdef";
export const ADMIN = { email: "admin@rekey.local", password: "e2e-admin-password-0123" };
const DEMO_PASSWORD = "e2e-demo-password-0123";
export const OPERATOR = { email: "operator@rekey.local", password: DEMO_PASSWORD };
export const AUDITOR = { email: "auditor@rekey.local", password: DEMO_PASSWORD };
export const DEMO_PASSWORD_FOR_SERVER = DEMO_PASSWORD;
export const authFile = (role: string) => `e2e/.auth/${role}.json`;
