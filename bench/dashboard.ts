/**
 * npm run bench:dashboard [-- --db=pglite|postgres] [-- --requests=60] [-- --keys=100000]
 *
 * Seeds 100k keys, serves the production build, signs in as the admin, and
 * requests the keys page (default, filtered and sorted, a deep page) and the
 * overview one at a time, on loopback: the time to the last byte is the
 * server's time plus a loopback round trip. Prints p50/p95 per page.
 */
import "../scripts/load-env";
import { parseArgs } from "node:util";
import { benchDatabases, createBenchDatabase, closeDatabase, startServer, stopServer, writeResults, table } from "./support";
import { seedDemoWorld } from "../lib/seed";
import { ensureFirstAdmin } from "../lib/auth/users";

const { values } = parseArgs({
  options: { db: { type: "string" }, requests: { type: "string", default: "60" }, keys: { type: "string", default: "100000" }, build: { type: "boolean" } },
  strict: false,
});
const REQUESTS = Number(values.requests);
const KEYS = Number(values.keys);
const PORT = 3201;
const BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = "bench-admin-password-0123";
process.env.REKEY_ADMIN_PASSWORD = PASSWORD;

const PAGES: [string, string][] = [
  ["keys: newest first", "/dashboard/keys"],
  ["keys: overdue, sorted by age", "/dashboard/keys?overdue=1&sort=age&dir=asc"],
  ["keys: live + active, by last use, page 40", "/dashboard/keys?status=active&environment=live&sort=lastUsed&page=40"],
  ["keys: in grace, by deadline", "/dashboard/keys?status=expiring&sort=deadline"],
  ["overview", "/dashboard"],
];

/** Signs in through next-auth's own endpoints, as the browser does; returns the session cookie. */
async function signIn(): Promise<string> {
  const csrf = await fetch(`${BASE}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookies = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
  const res = await fetch(`${BASE}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") },
    body: new URLSearchParams({ csrfToken, email: "admin@rekey.local", password: PASSWORD, json: "true" }),
  });
  const session = res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith("next-auth.session-token="));
  if (!session) throw new Error(`sign-in failed: ${res.status}`);
  return [...cookies, session].join("; ");
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const results: Record<string, unknown>[] = [];
for (const kind of benchDatabases()) {
  console.log(`\n== ${kind}: seeding ${KEYS.toLocaleString("en")} keys`);
  const db = await createBenchDatabase(kind, "dashboard");
  await seedDemoWorld({ keys: KEYS });
  await ensureFirstAdmin(new Date());
  await closeDatabase();
  const server = await startServer({ ...db.env, NEXTAUTH_URL: BASE }, PORT);
  try {
    const cookie = await signIn();
    for (const [name, path] of PAGES) {
      const times: number[] = [];
      for (let i = 0; i < REQUESTS + 5; i++) {
        const start = performance.now();
        const res = await fetch(`${BASE}${path}`, { headers: { cookie }, redirect: "manual" });
        const body = await res.text();
        if (res.status !== 200 || !body.includes("</html>")) throw new Error(`${path}: ${res.status}`);
        if (i >= 5) times.push(performance.now() - start); // the first few warm the JIT and caches
      }
      times.sort((a, b) => a - b);
      const row = {
        database: kind,
        page: name,
        requests: times.length,
        p50ms: Math.round(percentile(times, 50)),
        p95ms: Math.round(percentile(times, 95)),
        maxMs: Math.round(times.at(-1)!),
      };
      results.push(row);
      console.log(`${kind}: ${name}: p50 ${row.p50ms} ms, p95 ${row.p95ms} ms`);
    }
  } finally {
    await stopServer(server);
    await db.drop();
  }
}
table(results);
writeResults("dashboard", results);
process.exit(0);
