import { expect, test } from "@playwright/test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { INSTANCE_TOKEN, freshDatabase, serverUrl, waitForHealth } from "../support/instance";

// Issue 20, item 4: the restore drill with the real commands and a real server, on both databases. Back up, revoke a
// key and rotate another, restore the backup, start: the revoked key stays refused.
const PORT = 3115;
const BASE = `http://127.0.0.1:${PORT}`;
const headers = { authorization: `Bearer ${INSTANCE_TOKEN}`, "content-type": "application/json" };

async function verify(key: string) {
  return (await fetch(`${BASE}/api/v1/keys/verify`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ key }) })).json();
}

function npm(args: string[], env: NodeJS.ProcessEnv) {
  const run = spawnSync("npm", ["run", "--silent", ...args], { env, encoding: "utf8" });
  expect(run.status, `npm run ${args.join(" ")}: ${run.stdout}\n${run.stderr}`).toBe(0);
  return run.stdout;
}

for (const kind of ["embedded", "postgres"] as const) {
  test.describe(`the restore drill on the ${kind} database`, () => {
    test.skip(kind === "postgres" && !serverUrl, "needs TEST_DATABASE_URL naming a local PostgreSQL server");

    test("a key revoked after the backup stays refused after the restore and a fresh start", async () => {
      test.setTimeout(180_000);
      const dir = mkdtempSync(path.join(tmpdir(), "rekey-drill-"));
      const base = {
        REKEY_DATA_DIR: dir,
        REKEY_CRON: "off",
        REKEY_SECRET: "restore-drill-secret-0123456789abcdef",
        REKEY_BACKUP_EVERY_HOURS: "0",
        NEXTAUTH_URL: BASE,
      };
      const server = kind === "postgres" ? await freshDatabase(base) : null;
      const env: NodeJS.ProcessEnv = server
        ? server.env
        : { ...process.env, ...base, DATABASE_URL: "", REKEY_BOOTSTRAP_TOKEN: INSTANCE_TOKEN, NEXT_TELEMETRY_DISABLED: "1" };
      if (!server) npm(["db:migrate"], env);
      let instance: ChildProcess | null = null;
      const start = async () => {
        instance = spawn("node_modules/.bin/next", ["start", "-p", String(PORT), "-H", "127.0.0.1"], { env, stdio: "ignore" });
        await waitForHealth(PORT);
      };
      const stop = async () => {
        const child = instance;
        instance = null;
        if (!child || child.exitCode !== null) return;
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      };
      try {
        await start();
        const org = await (await fetch(`${BASE}/api/v1/organizations`, { method: "POST", headers, body: JSON.stringify({ name: "Drill GmbH" }) })).json();
        const issue = async () =>
          (
            await fetch(`${BASE}/api/v1/keys`, { method: "POST", headers, body: JSON.stringify({ organizationId: org.id, environment: "live", name: "svc" }) })
          ).json();
        const [leaked, rotated, untouched] = [await issue(), await issue(), await issue()];

        // The backup: the embedded folder has one owner, so rekey is stopped for it (a running one takes its own from the cron).
        const file = path.join(dir, "drill.rekey-backup");
        if (!server) await stop();
        const backupOut = npm(["backup", "--", "--out", file], env);
        expect(backupOut).toContain("backup of the");
        if (!server) await start();

        // After the backup: a leaked key revoked at once, another rotated with a grace period.
        const emergency = await fetch(`${BASE}/api/v1/keys/${leaked.id}/rotations`, {
          method: "POST",
          headers,
          body: JSON.stringify({ kind: "emergency", gracePeriodHours: 0, reason: "found in a public repository" }),
        });
        expect(emergency.status).toBe(201);
        const manual = await (
          await fetch(`${BASE}/api/v1/keys/${rotated.id}/rotations`, {
            method: "POST",
            headers,
            body: JSON.stringify({ kind: "manual", deliver: "response", reason: "yearly" }),
          })
        ).json();
        expect(await verify(leaked.key)).toEqual({ valid: false, code: "revoked" });

        // The running instance journals the revocation by itself, outside the database, within moments.
        const journal = path.join(dir, "revocation-journal.jsonl");
        await expect.poll(() => (existsSync(journal) ? readFileSync(journal, "utf8") : ""), { timeout: 10_000 }).toContain(leaked.id);

        await stop();
        const started = Date.now();
        const out = npm(["restore", "--", file], env);
        console.log(`restore drill (${kind}, npm run restore): ${Date.now() - started} ms\n${out.trim()}`);
        expect(out).toMatch(/1 re-applied/);
        await start();

        expect(await verify(leaked.key)).toEqual({ valid: false, code: "revoked" });
        expect((await verify(untouched.key)).valid).toBe(true);
        // The rotation after the backup is gone with everything else after the recovery point: its old key works as it
        // did at the backup, its successor is unknown.
        expect((await verify(rotated.key)).valid).toBe(true);
        expect(await verify(manual.successorKey)).toEqual({ valid: false, code: "unknown" });
        const timeline = await (await fetch(`${BASE}/api/v1/keys/${leaked.id}`, { headers })).json();
        expect(timeline.status).toBe("revoked");
      } finally {
        await stop();
        if (server) {
          await server.admin.query(`DROP DATABASE IF EXISTS ${server.database} WITH (FORCE)`);
          await server.admin.end();
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
