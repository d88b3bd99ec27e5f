import { expect, test } from "@playwright/test";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { E2E_BOOTSTRAP_TOKEN, authFile } from "../support/accounts";
import { signInWithLink } from "../support/mail";
import { checkPage } from "../support/every-page";

const management = { authorization: `Bearer ${E2E_BOOTSTRAP_TOKEN}` };

/** `npm run agent -- …` against the running app, as a customer's server would run it. */
function agent(args: string[], baseURL: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "packages/agent/src/cli.ts", ...args, "--rekey", baseURL], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

test("the agent's delivery shows on the key's page in the portal and the dashboard, and the portal links the agent's guide", async ({
  browser,
  request,
  baseURL,
}) => {
  test.setTimeout(180_000);
  const orgs = (await (await request.get("/api/v1/organizations", { headers: management })).json()).organizations as { id: string; name: string }[];
  const acme = orgs.find((o) => o.name.startsWith("Acme"))!;
  const issued = await (
    await request.post("/api/v1/keys", { headers: management, data: { organizationId: acme.id, environment: "live", name: "billing worker (agent)" } })
  ).json();
  // An admin invites a customer of Acme of this test's own: each address gets at most 5 sign-in links in 15 minutes,
  // and the other portal specs spend the demo customer's.
  const staff = await (await browser.newContext({ storageState: authFile("admin") })).newPage();
  await staff.goto("/dashboard/users");
  const invite = staff.getByRole("form", { name: "Invite a user" });
  const email = `agent-${Date.now()}@acme.example`;
  await invite.getByLabel("Email").fill(email);
  await invite.getByLabel("Role").selectOption("customer");
  await invite.getByLabel("Organization").selectOption({ label: acme.name });
  await invite.getByRole("button", { name: "Invite" }).click();
  await expect(invite.getByRole("status")).toBeVisible();

  const dir = mkdtempSync(path.join(tmpdir(), "rekey-e2e-agent-"));
  const keyFile = path.join(dir, "rekey.key");
  writeFileSync(keyFile, issued.key, { mode: 0o600 });
  writeFileSync(path.join(dir, ".env"), `API_KEY=${issued.key}\n`);
  const run = await agent(["rotate", "--force", "--key-file", keyFile, "--to", `file:${dir}/service.key`, "--to", `dotenv:${dir}/.env#API_KEY`], baseURL!);
  expect(run.code, run.output).toBe(0);
  expect(run.output).not.toContain(issued.key);
  expect(readFileSync(path.join(dir, ".env"), "utf8")).toBe(`API_KEY=${readFileSync(keyFile, "utf8")}\n`);

  const customer = await (await browser.newContext()).newPage();
  await customer.goto(`/portal/keys/${issued.id}`);
  await signInWithLink(customer, email);
  await customer.goto(`/portal/keys/${issued.id}`);
  const key = customer.getByRole("region", { name: "Key" });
  await expect(key.getByText(/Delivered by the agent to 2 destinations at .*\d{4}/)).toBeVisible();
  await expect(key.getByText(`dotenv:${dir}/.env#API_KEY`)).toBeVisible();
  await expect(customer.getByRole("region", { name: "History" }).getByText("New key delivered by the agent")).toBeVisible();
  for (const width of [1280, 390]) await checkPage(customer, "customer-agent", `/portal/keys/${issued.id}`, width);

  // A key the agent has not touched points to the guide.
  await customer.goto("/portal");
  const other = await customer.locator(`a[href^="/portal/keys/"]:not([href$="${issued.id}"])`).first().getAttribute("href");
  await customer.goto(other!);
  await customer.getByRole("region", { name: "Key" }).getByRole("link", { name: "rekey agent" }).click();
  await expect(customer.getByRole("heading", { name: "The rekey agent", level: 1 })).toBeVisible();
  await expect(customer.getByText("exec:kubectl create secret generic myapp-api-key", { exact: false })).toBeVisible();
  await customer.context().close();

  await staff.goto(`/dashboard/keys/${issued.id}`);
  await expect(staff.getByRole("region", { name: "Rotation" }).getByText(/Delivered by the agent to 2 destinations at .*\d{4}/)).toBeVisible();
  for (const width of [1280, 390]) await checkPage(staff, "admin-agent", `/dashboard/keys/${issued.id}`, width);
  await staff.context().close();
});
