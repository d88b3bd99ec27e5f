/**
 * npm run bench:verify [-- --db=pglite|postgres] [-- --seconds=10] [-- --keys=100000]
 *
 * Seeds 100k keys, serves the production build, and drives the verify
 * endpoint with autocannon at 32 connections with a mix of valid, deprecated,
 * revoked, unknown and malformed keys; the same server's trivial JSON route
 * (/api/health) is the floor. Then times advance() for 1k and 10k due
 * rotations among the 100k keys.
 */
import "../scripts/load-env";
import autocannon from "autocannon";
import { parseArgs } from "node:util";
import { benchDatabases, createBenchDatabase, closeDatabase, startServer, stopServer, writeResults, table } from "./support";
import { getPrisma, openDatabase, useDatabase } from "../lib/db";
import { seedDemoWorld } from "../lib/seed";
import { issueKey } from "../lib/keys/mutations";
import { createRotation } from "../lib/rotations/mutations";
import { advanceRotations } from "../lib/rotations/advance";
import { generateApiKey } from "../lib/keys/format";

const { values } = parseArgs({ options: { db: { type: "string" }, seconds: { type: "string", default: "10" }, keys: { type: "string", default: "100000" }, build: { type: "boolean" } }, strict: false });
const SECONDS = Number(values.seconds);
const KEYS = Number(values.keys);
const CONNECTIONS = 32;
const PORT = 3200;
const ACTOR = "system:seed" as const;

async function prepareMix(now: Date) {
  const prisma = await getPrisma();
  const orgs = await prisma.organization.findMany({ select: { id: true } });
  const valid: string[] = [];
  const deprecated: string[] = [];
  const revoked: string[] = [];
  for (let i = 0; i < 400; i++) {
    const { key, secret } = await issueKey({ organizationId: orgs[i % orgs.length].id, environment: "live", name: "bench", scopes: ["read:orders"] }, ACTOR, now);
    if (i < 150) {
      const r = await createRotation({ keyId: key.id, kind: "manual", gracePeriodHours: 72, deliver: "response" }, ACTOR, now);
      deprecated.push(secret);
      valid.push(r.successorSecret!);
    } else if (i < 200) {
      await createRotation({ keyId: key.id, kind: "emergency", gracePeriodHours: 0, reason: "bench" }, ACTOR, now);
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
  if (done.completed !== due) throw new Error(`advance completed ${done.completed}, expected ${due}`);
  return { startMs: Math.round(startMs), completeMs: Math.round(completeMs), completed: done.completed };
}

const results: Record<string, unknown>[] = [];
for (const kind of benchDatabases()) {
  console.log(`\n== ${kind}: seeding ${KEYS.toLocaleString("en")} keys`);
  const db = await createBenchDatabase(kind, "verify");
  const seedStart = performance.now();
  await seedDemoWorld({ keys: KEYS });
  console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  const bodies = await prepareMix(new Date());
  await closeDatabase(); // an embedded database has one owner: the server, next

  const server = await startServer(db.env, PORT);
  let floor, verify;
  try {
    const url = `http://127.0.0.1:${PORT}`;
    await autocannon({ url: `${url}/api/health`, connections: CONNECTIONS, duration: 2 });
    let i = 0;
    const verifyOpts: autocannon.Options = {
      url: `${url}/api/v1/keys/verify`,
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
    };
    await autocannon({ ...verifyOpts, duration: 3 }); // warm the cache and the JIT
    floor = await load("floor", { url: `${url}/api/health` });
    verify = await load("verify", verifyOpts);
  } finally {
    await stopServer(server);
  }

  console.log(`\n${kind}: verify ${verify.rps} req/s (p50 ${verify.p50} ms, p99 ${verify.p99} ms) vs floor ${floor.rps} req/s (p50 ${floor.p50} ms, p99 ${floor.p99} ms): ratio ${(verify.rps / floor.rps).toFixed(2)}`);

  useDatabase(await openDatabase(kind === "pglite" ? { dataDir: `${db.env.REKEY_DATA_DIR}/pglite` } : { url: db.env.DATABASE_URL }));
  await closeOpenRotations();
  const advance1k = await timeAdvance(1_000, new Date(Date.now() + 60_000));
  const advance10k = await timeAdvance(10_000, new Date(Date.now() + 200 * 3_600_000));
  await closeDatabase();
  await db.drop();

  const row = {
    database: kind,
    keys: KEYS,
    floorRps: floor.rps,
    floorP50ms: floor.p50,
    floorP99ms: floor.p99,
    verifyRps: verify.rps,
    verifyP50ms: verify.p50,
    verifyP99ms: verify.p99,
    ratio: Number((verify.rps / floor.rps).toFixed(2)),
    advanceStart1kMs: advance1k.startMs,
    advanceComplete1kMs: advance1k.completeMs,
    advanceStart10kMs: advance10k.startMs,
    advanceComplete10kMs: advance10k.completeMs,
  };
  results.push(row);
  console.log(`${kind}: advance() 1k due: start ${advance1k.startMs} ms, complete ${advance1k.completeMs} ms; 10k due: start ${advance10k.startMs} ms, complete ${advance10k.completeMs} ms`);
}

table(results);
writeResults("verify", results);
process.exit(0);
