import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import { GET as cronGet, POST as cronPost } from "../app/api/cron/route";
import { GET as metricsGet } from "../app/api/metrics/route";
import { spawnSync } from "node:child_process";

const promtool = spawnSync("promtool", ["--version"]).status === 0;

useTestDatabase();

const mail = mkdtempSync(path.join(tmpdir(), "rekey-route-"));
beforeAll(() => {
  process.env.CRON_SECRET = "cron-secret-for-tests-0123456789";
  process.env.REKEY_DATA_DIR = mail;
});
afterAll(() => {
  delete process.env.CRON_SECRET;
  delete process.env.REKEY_DATA_DIR;
  rmSync(mail, { recursive: true, force: true });
});

type Handler = (r: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function raw(handler: Handler, token?: string) {
  const response = await handler(new Request("http://localhost/api/x", { headers: token ? { authorization: `Bearer ${token}` } : {} }), {
    params: Promise.resolve({}),
  });
  return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
}

describe("/api/cron", () => {
  it("refuses a missing or wrong secret with 401 and runs with the right one", async () => {
    expect((await raw(cronGet)).status).toBe(401);
    expect((await raw(cronGet, "cron-secret-for-tests-012345678X")).status).toBe(401);
    const org = await makeOrg();
    await makeKey(org.id);
    const ok = await raw(cronPost, process.env.CRON_SECRET);
    expect(ok.status).toBe(200);
    const summary = JSON.parse(ok.text);
    // The key was made in January: far past its max age by now, so it is scheduled and started at once.
    expect(summary).toMatchObject({ scheduled: 1, errors: [], rotations: { started: 1, completed: 0 } });
    expect(typeof summary.durationMs).toBe("number");
  });

  it("fails closed when CRON_SECRET is not set", async () => {
    const saved = process.env.CRON_SECRET;
    delete process.env.CRON_SECRET;
    try {
      const r = await raw(cronGet, "anything");
      expect(r.status).toBe(401);
      expect(r.text).toContain("CRON_SECRET is not set");
    } finally {
      process.env.CRON_SECRET = saved;
    }
  });
});

describe("/api/metrics", () => {
  it("needs a token and answers in the Prometheus text format", async () => {
    expect((await raw(metricsGet)).status).toBe(401);
    expect((await raw(metricsGet, "rkm_mgmt_not-a-real-token")).status).toBe(401);
    await raw(cronPost, process.env.CRON_SECRET);
    const r = await raw(metricsGet, process.env.REKEY_BOOTSTRAP_TOKEN);
    expect(r.status).toBe(200);
    expect(r.type).toContain("text/plain");
    expect(r.text).toMatch(/^rekey_keys\{status="active"\} \d+$/m);
    expect(r.text).toMatch(/^rekey_compliance_ratio [\d.]+$/m);
    expect(r.text).toMatch(/^rekey_rotations\{state="grace"\} \d+$/m);
    expect(r.text).toMatch(/^rekey_outbox_backlog\{status="pending"\} \d+$/m);
    expect(r.text).toMatch(/^rekey_verifications_total\{result="valid"\} \d+$/m);
    expect(r.text).toMatch(/^# TYPE rekey_verifications_total counter$/m);
    expect(r.text).toMatch(/^rekey_build_info\{version="\d+\.\d+\.\d+",node="v\d+[^"]*"\} 1$/m);
    expect(r.text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(r.text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(r.text).toMatch(/^rekey_cron_last_run_duration_seconds [\d.]+$/m);
    // Prometheus's own linter (Debian's prometheus package; CI installs it): names, types, help, units.
    if (promtool || process.env.CI) {
      const lint = spawnSync("promtool", ["check", "metrics"], { input: r.text, encoding: "utf8" });
      expect(lint.error, "promtool runs").toBeUndefined();
      expect(`${lint.stdout}${lint.stderr}`.trim(), "promtool check metrics").toBe("");
      expect(lint.status).toBe(0);
    }
  });

  it("accepts METRICS_TOKEN when it is set", async () => {
    process.env.METRICS_TOKEN = "metrics-token-0123456789abcdef";
    try {
      expect((await raw(metricsGet, "metrics-token-0123456789abcdeX")).status).toBe(401);
      expect((await raw(metricsGet, "metrics-token-0123456789abcdef")).status).toBe(200);
    } finally {
      delete process.env.METRICS_TOKEN;
    }
  });
});
