/** Shared by the benchmarks: databases to run on, the server, result files. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase, useDatabase, closeDatabase } from "../lib/db";
import { applyMigrations } from "../lib/migrations";
import { assertLocalDatabaseUrl, withDatabase } from "../tests/support/local-url";

export const BENCH_SECRET = "bench-secret-0123456789abcdef0123456789";
process.env.REKEY_SECRET = BENCH_SECRET;

export type BenchDb = { kind: "pglite" | "postgres"; env: Record<string, string>; drop(): Promise<void> };

/** The databases to measure: always PGlite; the PostgreSQL server too when TEST_DATABASE_URL (or BENCH_DATABASE_URL) names a local one. */
export function benchDatabases(): ("pglite" | "postgres")[] {
  const only = process.argv.find((a) => a.startsWith("--db="))?.slice(5);
  const all: ("pglite" | "postgres")[] = ["pglite", ...(serverUrl() ? (["postgres"] as const) : [])];
  if (only && !all.includes(only as "pglite")) {
    // Asked for a database this run cannot reach: say so rather than write an empty result.
    throw new Error(
      only === "postgres"
        ? "--db=postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        : `--db: pglite or postgres, not ${only}`,
    );
  }
  return only ? all.filter((d) => d === only) : all;
}

function serverUrl() {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
}

/** Creates an empty migrated database of the kind and opens it as the process's database. */
export async function createBenchDatabase(
  kind: "pglite" | "postgres",
  name: string,
  options: { countQueries?: boolean } = {},
): Promise<BenchDb & { queryCount(): number }> {
  if (kind === "pglite") {
    const dir = path.resolve(".bench-data", name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.env.REKEY_DATA_DIR = dir;
    delete process.env.DATABASE_URL;
    const db = await openDatabase({ dataDir: path.join(dir, "pglite"), ...options });
    await applyMigrations(db.adapterFactory);
    useDatabase(db);
    return { kind, env: { REKEY_DATA_DIR: dir, DATABASE_URL: "" }, drop: async () => rmSync(dir, { recursive: true, force: true }), queryCount: db.queryCount };
  }
  const url = serverUrl()!;
  assertLocalDatabaseUrl(url);
  const database = `rekey_bench_${name.replace(/\W/g, "_")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dbUrl = withDatabase(url, database);
  process.env.DATABASE_URL = dbUrl;
  const db = await openDatabase({ url: dbUrl, ...options });
  await applyMigrations(db.adapterFactory);
  useDatabase(db);
  return {
    kind,
    env: { DATABASE_URL: dbUrl },
    queryCount: db.queryCount,
    drop: async () => {
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await a.end();
    },
  };
}

export { closeDatabase };

/**
 * Builds once (if there is no build yet, or --build) and starts a server
 * against the database: `next start` (the route handlers only), or with
 * `server: "rekey"` what `npm start` runs (scripts/serve.ts: Next plus the
 * verify fast path).
 */
export async function startServer(env: Record<string, string>, port: number, server: "next" | "rekey" = "next"): Promise<ChildProcess> {
  if (!existsSync(".next/BUILD_ID") || process.argv.includes("--build")) {
    const build = spawnSync("node_modules/.bin/next", ["build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
    if (build.status !== 0) throw new Error("next build failed");
  }
  const [command, args] =
    server === "next"
      ? ["node_modules/.bin/next", ["start", "-p", String(port), "-H", "127.0.0.1"]]
      : [
          process.execPath,
          [
            ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir=.bench-data/prof"] : []),
            "--import",
            "tsx",
            "--conditions=react-server",
            "scripts/serve.ts",
          ],
        ];
  const child = spawn(command, args, {
    stdio: "ignore",
    env: {
      ...process.env,
      ...env,
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      REKEY_SECRET: BENCH_SECRET,
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
    },
  });
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/health`)).ok) return child;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error("the server did not start");
}

export async function stopServer(child: ChildProcess) {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

/** Writes bench-results/<name>.json with the database, core count and date. */
export function writeResults(name: string, results: unknown) {
  mkdirSync("bench-results", { recursive: true });
  const file = path.join("bench-results", `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ benchmark: name, date: new Date().toISOString(), cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, results }, null, 2),
  );
  console.log(`\nwrote ${file}`);
}

export function table(rows: Record<string, unknown>[]) {
  console.table(rows);
}
