/**
 * `npm start`: migrates the database, seeds the demo world on a fresh
 * embedded database, builds, and serves on PORT (3000). `--dev` serves with
 * `next dev` instead of building. The database is opened here and closed
 * before the server opens it: an embedded database has one owner at a time.
 */
import "./load-env";
import { spawn, spawnSync } from "node:child_process";
import { openDatabase, useDatabase, closeDatabase } from "../lib/db";
import { applyMigrations } from "../lib/migrations";
import { isDatabaseEmpty, seedDemoWorld } from "../lib/seed";
import { resolveBootstrapToken } from "../lib/bootstrap-token";
import { checkSecretsConfiguration } from "../lib/secret";
import { configuredKeyFormat } from "../lib/keys/format";
import { ensureFirstAdmin } from "../lib/auth/users";
import { recordCurrentHashVersion } from "../lib/keys/hash-versions";
import { createDemoCustomers, createDemoStaff } from "../lib/seed";
import { writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { dataRoot } from "../lib/db";
import { finishPendingRestore } from "../lib/backup/restore";
import { journalPath } from "../lib/backup/journal";
import { checkConfiguration, env, isSet } from "../lib/env";

const dev = process.argv.includes("--dev");
const port = String(env("PORT"));
const embedded = !isSet("DATABASE_URL");
const next = "node_modules/.bin/next";

try {
  const problems = checkConfiguration(); // every variable of lib/env.ts that does not parse, at once
  if (problems.length) throw new Error(`the configuration is not valid:\n  ${problems.map((p) => p.message).join("\n  ")}`);
  checkSecretsConfiguration(); // bad or missing secrets stop here, with the reason, before any work
  configuredKeyFormat(); // so does a bad key format (REKEY_KEY_*), naming the variable
} catch (error) {
  console.error(`rekey: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const db = await openDatabase({ url: env("DATABASE_URL") });
useDatabase(db);
const applied = await applyMigrations(db.adapterFactory);
if (applied.length) console.log(`rekey: applied migrations ${applied.join(", ")}`);
let seeded = false;
const firstStart: string[] = [];
if (embedded && env("REKEY_DEMO") === "on" && (await isDatabaseEmpty())) {
  const summary = await seedDemoWorld({});
  seeded = true;
  console.log(`rekey: created the demo world: ${summary.organizations} organizations, ${summary.keys} keys`);
  const demo = await createDemoStaff(new Date());
  firstStart.push(...demo.map((u) => `  ${u.role.padEnd(8)} ${u.email}  password: ${u.password}`));
  const customers = await createDemoCustomers(new Date());
  firstStart.push(
    ...customers.map(
      (u) =>
        `  customer ${u.email}  (${u.organization}): "Email me a sign-in link"; the email lands in ${path.relative(process.cwd(), path.join(dataRoot(), "mail"))}`,
    ),
  );
}
// A restore that did not finish (the process died re-applying revocations) is finished before anything serves.
const resumed = await finishPendingRestore([journalPath()]);
if (resumed) console.log(`rekey: finished an interrupted restore: ${resumed.reapplied} revocation(s) re-applied from ${journalPath()}`);
await recordCurrentHashVersion(new Date()); // the Secrets page and the lingering-version alert count from it
const admin = await ensureFirstAdmin(new Date());
if (admin) firstStart.unshift(`  admin    ${admin.email}  password: ${admin.generated ? admin.password : "(REKEY_ADMIN_PASSWORD)"}`);
await closeDatabase();
const firstStartFile = path.relative(process.cwd(), path.join(dataRoot(), "first-start.txt"));
if (firstStart.length && embedded) {
  // Generated passwords are shown once; on the embedded database, also kept for the person who runs it.
  writeFileSync(firstStartFile, `Sign in at /signin with:\n${firstStart.join("\n")}\n`, { mode: 0o600 });
}

const token = resolveBootstrapToken();
// The app calls its own /api/cron every minute (REKEY_CRON=off turns it off,
// e.g. where a platform's cron calls it). Without CRON_SECRET a random one is
// made for this run, known only to this process and the server it starts.
const cronSecret = env("CRON_SECRET") ?? randomBytes(32).toString("base64url");
const cronEvery = env("REKEY_CRON_INTERVAL_SECONDS") * 1000;
const cronOn = env("REKEY_CRON") === "on";
const childEnv = {
  ...process.env,
  CRON_SECRET: cronSecret,
  NEXT_TELEMETRY_DISABLED: "1",
  // next-auth builds its links from this; behind a proxy, set it to the public URL.
  NEXTAUTH_URL: env("NEXTAUTH_URL") ?? `http://localhost:${port}`,
  ...(token ? { REKEY_BOOTSTRAP_TOKEN: token } : {}),
};

if (!dev && !env("REKEY_SKIP_BUILD")) {
  console.log("rekey: building…");
  const build = spawnSync(next, ["build"], { stdio: "inherit", env: childEnv });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

// Production: rekey's own server (Next's handler plus the verify fast path, scripts/serve.ts); development: next dev.
const child = dev
  ? spawn(next, ["dev", "-p", port], { stdio: ["inherit", "pipe", "inherit"], env: childEnv })
  : spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "scripts/serve.ts"], {
      stdio: ["inherit", "pipe", "inherit"],
      env: { ...childEnv, PORT: port },
    });
let announced = false;
child.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (!announced && /Ready in|ready/i.test(chunk.toString())) {
    announced = true;
    const url = `http://localhost:${port}`;
    console.log(
      [
        "",
        `  rekey is running at ${url}${seeded ? " with demo data" : ""} (${embedded ? "embedded database in ./data" : "PostgreSQL server"}).`,
        `  Sign in: ${url}/signin   API reference: ${url}/api/v1/openapi.json`,
        ...(firstStart.length
          ? [`  First start: these accounts were created (passwords shown once${embedded ? `; kept in ${firstStartFile}` : ""}):`, ...firstStart]
          : [embedded ? `  Accounts: see ${firstStartFile}` : "  Accounts: the admin from REKEY_ADMIN_EMAIL, and the users they invite."]),
        cronOn
          ? `  Cron: runs every ${cronEvery / 1000} s (REKEY_CRON=off to leave it to an outside scheduler); mail goes to ${isSet("SMTP_URL") ? "SMTP_URL" : `.eml files in ${path.relative(process.cwd(), path.join(dataRoot(), "mail"))}`}.`
          : "  Cron: off (REKEY_CRON=off); call POST /api/cron with Authorization: Bearer $CRON_SECRET.",
        token
          ? `  Management API: Authorization: Bearer ${token}${isSet("REKEY_BOOTSTRAP_TOKEN") ? "" : `  (kept in ${path.relative(process.cwd(), path.join(dataRoot(), "bootstrap-token"))})`}`
          : "  Management API: set REKEY_BOOTSTRAP_TOKEN to automate a fresh install.",
        "",
      ].join("\n"),
    );
    if (cronOn) startCron(url);
  }
});

let cronTimer: NodeJS.Timeout | undefined;
function startCron(url: string) {
  let running = false;
  const tick = async () => {
    if (running) return; // a slow call is never overlapped by the next one
    running = true;
    try {
      const response = await fetch(`${url}/api/cron`, { method: "POST", headers: { authorization: `Bearer ${cronSecret}` } });
      const summary = (await response.json().catch(() => null)) as {
        errors?: unknown[];
        scheduled?: number;
        rotations?: Record<string, number>;
        reminders?: number;
        emails?: { sent: number };
      } | null;
      if (!response.ok) console.error(`rekey: cron answered ${response.status}`, JSON.stringify(summary?.errors ?? summary));
      else if (summary) {
        const moved =
          (summary.scheduled ?? 0) + Object.values(summary.rotations ?? {}).reduce((a, b) => a + b, 0) + (summary.reminders ?? 0) + (summary.emails?.sent ?? 0);
        if (moved)
          console.log(
            `rekey: cron ${JSON.stringify({ scheduled: summary.scheduled, rotations: summary.rotations, reminders: summary.reminders, emails: summary.emails })}`,
          );
      }
    } catch (error) {
      console.error(`rekey: cron call failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      running = false;
    }
  };
  void tick();
  cronTimer = setInterval(() => void tick(), cronEvery);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    clearInterval(cronTimer);
    child.kill(signal);
  });
}
child.on("exit", (code) => process.exit(code ?? 0));
