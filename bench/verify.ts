/**
 * npm run bench:verify [-- --db=pglite|postgres] [-- --seconds=10] [-- --keys=100000] [-- --replica-keys=1000000]
 *
 * Verification three ways, measured in one run on one machine, against a
 * floor run in the same run:
 * - the fast path (`npm start`'s server answering POST /api/v1/keys/verify
 *   before Next's routing) against a plain node:http server doing the same
 *   work (bearer or body → HMAC-SHA-256 → map lookup → rule → JSON): 32
 *   connections, a mix of valid, deprecated, revoked, unknown and malformed keys;
 * - the route handler (`next start`), for reference;
 * - the in-process verifier (packages/verifier): its latency per verification
 *   over the same mix with 100k keys, its snapshot load from the real
 *   endpoint, and its load of a 1M-key snapshot (time and memory, in a
 *   process of its own);
 * then times advance() for 1k and 10k due rotations among the keys.
 */
import "../scripts/load-env";
import autocannon from "autocannon";
import http from "node:http";
import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdirSync, readFileSync, statSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import { BENCH_SECRET, benchDatabases, createBenchDatabase, closeDatabase, startServer, stopServer, writeResults, table } from "./support";
import { getPrisma, openDatabase, useDatabase } from "../lib/db";
import { seedDemoWorld } from "../lib/seed";
import { issueKey } from "../lib/keys/mutations";
import { createRotation } from "../lib/rotations/mutations";
import { advanceRotations } from "../lib/rotations/advance";
import { generateApiKey } from "../lib/keys/format";
import { getVerificationRecordPage } from "../lib/keys/records";
import { Replica } from "../packages/verifier/src/replica";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    seconds: { type: "string", default: "10" },
    keys: { type: "string", default: "100000" },
    "replica-keys": { type: "string", default: "1000000" },
    build: { type: "boolean" },
  },
  strict: false,
});
const SECONDS = Number(values.seconds);
const KEYS = Number(values.keys);
const REPLICA_KEYS = Number(values["replica-keys"]);
const CONNECTIONS = 32;
const PORT = 3200;
const FLOOR_PORT = 3201;
const TOKEN = "bench-bootstrap-token-0123456789abcdef";
const ACTOR = "system:seed" as const;

async function prepareMix(now: Date) {
  const prisma = await getPrisma();
  const orgs = await prisma.organization.findMany({ select: { id: true } });
  const valid: string[] = [];
  const deprecated: string[] = [];
  const revoked: string[] = [];
  for (let i = 0; i < 400; i++) {
    const { key, secret } = await issueKey(
      { organizationId: orgs[i % orgs.length].id, environment: "live", name: "bench", scopes: ["read:orders"] },
      { actor: ACTOR, now },
    );
    if (i < 150) {
      const r = await createRotation({ keyId: key.id, kind: "manual", gracePeriodHours: 72, deliver: "response" }, { actor: ACTOR, now });
      deprecated.push(secret);
      valid.push(r.successorSecret!);
    } else if (i < 200) {
      await createRotation({ keyId: key.id, kind: "emergency", gracePeriodHours: 0, reason: "bench" }, { actor: ACTOR, now });
      revoked.push(secret);
    } else valid.push(secret);
  }
  const unknown = Array.from({ length: 100 }, () => generateApiKey("live").secret);
  const malformed = Array.from({ length: 50 }, (_, i) => `rk_live_not-a-key-${i}`);
  // 60% valid, 20% deprecated, 10% unknown, 5% revoked, 5% malformed.
  const bodies: string[] = [];
  const pick = (list: string[], n: number) => {
    for (let i = 0; i < n; i++) bodies.push(JSON.stringify({ key: list[i % list.length] }));
  };
  pick(valid, 600);
  pick(deprecated, 200);
  pick(unknown, 100);
  pick(revoked, 50);
  pick(malformed, 50);
  return bodies.sort(() => Math.random() - 0.5);
}

async function load(title: string, opts: autocannon.Options) {
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  if (result.non2xx || result.errors) throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, requests: result.requests.total };
}

/** Closes the demo world's open rotations, so exactly the benchmark's own rotations are due. */
async function closeOpenRotations() {
  const prisma = await getPrisma();
  await prisma.$executeRaw`UPDATE rotations SET state = 'cancelled', "openKeyId" = NULL WHERE state IN ('scheduled', 'grace')`;
  await prisma.$executeRaw`UPDATE api_keys SET status = 'active' WHERE status = 'expiring'`;
}

async function timeAdvance(due: number, now: Date) {
  const prisma = await getPrisma();
  await prisma.$executeRaw`
    INSERT INTO rotations (id, "keyId", "openKeyId", kind, state, deliver, "gracePeriodHours", "scheduledAt", "graceEndsAt", "createdBy", "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, k.id, k.id, 'scheduled', 'scheduled', 'portal', 72, ${new Date(now.getTime() - 60_000)}, ${new Date(now.getTime() + 72 * 3_600_000)}, 'bench', ${now}, ${now}
    FROM api_keys k
    WHERE k.status = 'active' AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r."openKeyId" = k.id)
    LIMIT ${due}`;
  const start = performance.now();
  const result = await advanceRotations(now);
  const startMs = performance.now() - start;
  if (result.started !== due) throw new Error(`advance started ${result.started}, expected ${due}`);
  // And their grace ending: grace → completed, old keys revoked.
  const later = new Date(now.getTime() + 73 * 3_600_000);
  const start2 = performance.now();
  const done = await advanceRotations(later);
  const completeMs = performance.now() - start2;
  // Keys under a policy that waits for the successor's first use are extended once instead (DOMAIN.md).
  if (done.completed + done.extended !== due) throw new Error(`advance completed ${done.completed} and extended ${done.extended}, expected ${due} in all`);
  return { startMs: Math.round(startMs), completeMs: Math.round(completeMs), completed: done.completed };
}

/** Every key's record as the snapshot carries it, one per line: the floor server's data and the 1M snapshot's pattern. */
async function writeRecords(file: string) {
  mkdirSync(path.dirname(file), { recursive: true }); // a fresh clone has no .bench-data yet (the PostgreSQL run makes none)
  const out = createWriteStream(file);
  let after = "";
  for (;;) {
    const page = await getVerificationRecordPage(after, 5_000);
    for (const r of page) out.write(`${JSON.stringify(r)}\n`);
    if (page.length < 5_000) break;
    after = page[page.length - 1].hash;
  }
  await new Promise<void>((r) => out.end(() => r()));
}

/** The in-process verifier against the running server: snapshot load over HTTP, then the latency of each verification. */
async function measureReplica(url: string, keys: string[]) {
  const started = performance.now();
  const replica = new Replica({ url, token: TOKEN, hashingSecret: BENCH_SECRET, usageReportMs: 3_600_000 });
  await replica.start();
  const snapshotMs = Math.round(performance.now() - started);
  for (let i = 0; i < 50_000; i++) replica.verify(keys[i % keys.length]); // warm the JIT
  const N = 200_000;
  const times = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    replica.verify(keys[i % keys.length]);
    times[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  await replica.close();
  times.sort();
  return {
    snapshotMs,
    records: replica.status().records,
    p50us: round2(times[N / 2]),
    p99us: round2(times[Math.floor(N * 0.99)]),
    maxUs: round2(times[N - 1]),
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The 1M-key snapshot: the real records repeated with fresh hashes and ids
 * (seeding a million keys would take longer than the rest together), served
 * from a file by a plain HTTP server; loaded by the verifier in a process of
 * its own so its memory is the replica's.
 */
async function measureMillion(
  recordsFile: string,
): Promise<{ records: number; loadMs: number; heapMB: number; rssMB: number; maxRssMB: number; snapshotMB: number }> {
  const lines = readFileSync(recordsFile, "utf8").split("\n").filter(Boolean);
  const file = path.resolve(".bench-data", "snapshot-1m.ndjson");
  const out = createWriteStream(file);
  out.write(`${JSON.stringify({ type: "snapshot", version: 1, cursor: `1.0.${Date.now()}`, generatedAt: new Date().toISOString() })}\n`);
  for (let i = 0; i < REPLICA_KEYS; i++) {
    const r = JSON.parse(lines[i % lines.length]);
    r.hash = randomBytes(32).toString("hex");
    r.keyId = randomUUID();
    if (!out.write(`${JSON.stringify(r)}\n`)) await new Promise<void>((res) => out.once("drain", () => res()));
  }
  out.write(`${JSON.stringify({ type: "end", count: REPLICA_KEYS })}\n`);
  await new Promise<void>((r) => out.end(() => r()));
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith("/api/v1/verifier/snapshot")) createReadStream(file).pipe(res);
    else setTimeout(() => res.end(JSON.stringify({ cursor: `1.0.${Date.now()}`, changes: [], reset: false, more: false })), 1000);
  });
  await new Promise<void>((r) => server.listen(3202, "127.0.0.1", r));
  // Not spawnSync: this process serves the snapshot meanwhile.
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "bench/replica-load.ts", "http://127.0.0.1:3202", BENCH_SECRET], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((r) => child.once("exit", r));
  server.close();
  server.closeAllConnections();
  if (code !== 0) throw new Error(`replica-load exited ${code}`);
  return { ...JSON.parse(stdout.trim().split("\n").pop()!), snapshotMB: Math.round(statSync(file).size / 1e6) };
}

async function startFloor(recordsFile: string) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/floor-server.ts", String(FLOOR_PORT), recordsFile, BENCH_SECRET], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`floor server exited ${code}`)));
  });
  return child;
}

const results: Record<string, unknown>[] = [];
let million: Awaited<ReturnType<typeof measureMillion>> | undefined;
for (const kind of benchDatabases()) {
  console.log(`\n== ${kind}: seeding ${KEYS.toLocaleString("en")} keys`);
  const db = await createBenchDatabase(kind, "verify");
  const seedStart = performance.now();
  await seedDemoWorld({ keys: KEYS });
  console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  const bodies = await prepareMix(new Date());
  const mixKeys = bodies.map((b) => JSON.parse(b).key as string);
  const recordsFile = path.resolve(".bench-data", `records-${kind}.ndjson`);
  await writeRecords(recordsFile);
  await closeDatabase(); // an embedded database has one owner: the server, next

  const env = { ...db.env, REKEY_BOOTSTRAP_TOKEN: TOKEN, REKEY_CRON: "off" };
  let i = 0;
  const verifyOpts = (port: number): autocannon.Options => ({
    url: `http://127.0.0.1:${port}/api/v1/keys/verify`,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
  });
  const measure = async (title: string, port: number) => {
    await autocannon({ ...verifyOpts(port), connections: CONNECTIONS, duration: 3 }); // warm the cache and the JIT
    const r = await load(title, verifyOpts(port));
    console.log(`${kind}: ${title}: ${r.rps} req/s (p50 ${r.p50} ms, p99 ${r.p99} ms)`);
    return r;
  };

  const floorServer = await startFloor(recordsFile);
  const floor = await measure("floor (plain node:http, same work)", FLOOR_PORT);
  floorServer.kill();

  let server = await startServer(env, PORT, "rekey");
  let fast: Awaited<typeof floor>;
  let replica: Awaited<ReturnType<typeof measureReplica>>;
  try {
    fast = await measure("fast path (npm start)", PORT);
    replica = await measureReplica(`http://127.0.0.1:${PORT}`, mixKeys);
    console.log(
      `${kind}: in-process verifier: snapshot of ${replica.records} records over HTTP in ${replica.snapshotMs} ms; per verification p50 ${replica.p50us} µs, p99 ${replica.p99us} µs`,
    );
  } finally {
    await stopServer(server);
  }
  server = await startServer(env, PORT, "next");
  let route: Awaited<typeof floor>;
  try {
    route = await measure("route handler (next start)", PORT);
  } finally {
    await stopServer(server);
  }

  useDatabase(await openDatabase(kind === "pglite" ? { dataDir: `${db.env.REKEY_DATA_DIR}/pglite` } : { url: db.env.DATABASE_URL }));
  await closeOpenRotations();
  const advance1k = await timeAdvance(1_000, new Date(Date.now() + 60_000));
  // 10k due rotations need enough active keys (the full-size run has 100k).
  const advance10k = KEYS >= 50_000 ? await timeAdvance(10_000, new Date(Date.now() + 200 * 3_600_000)) : { startMs: NaN, completeMs: NaN, completed: 0 };
  await closeDatabase();
  if (!million) {
    million = await measureMillion(recordsFile);
    console.log(
      `in-process verifier, ${REPLICA_KEYS.toLocaleString("en")}-key snapshot (${million.snapshotMB} MB): loaded in ${million.loadMs} ms, heap ${million.heapMB} MB, peak RSS ${million.maxRssMB} MB`,
    );
  }
  await db.drop();

  const row = {
    database: kind,
    keys: KEYS,
    floorRps: floor.rps,
    floorP99ms: floor.p99,
    fastRps: fast.rps,
    fastP50ms: fast.p50,
    fastP99ms: fast.p99,
    fastVsFloor: Number((fast.rps / floor.rps).toFixed(2)),
    routeRps: route.rps,
    routeP99ms: route.p99,
    replicaP50us: replica.p50us,
    replicaP99us: replica.p99us,
    replicaSnapshotMs: replica.snapshotMs,
    advanceStart1kMs: advance1k.startMs,
    advanceComplete1kMs: advance1k.completeMs,
    advanceStart10kMs: advance10k.startMs,
    advanceComplete10kMs: advance10k.completeMs,
  };
  results.push(row);
  console.log(
    `${kind}: advance() 1k due: start ${advance1k.startMs} ms, complete ${advance1k.completeMs} ms; 10k due: start ${advance10k.startMs} ms, complete ${advance10k.completeMs} ms`,
  );
}

table(results);
if (million) console.table([million]);
writeResults("verify", { perDatabase: results, replicaSnapshot1M: million });
process.exit(0);
