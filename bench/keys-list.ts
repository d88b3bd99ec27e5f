/**
 * npm run bench:keys-list [-- --db=pglite|postgres] [-- --keys=100000]
 *
 * The management API's key search (GET /api/v1/keys, lib/keys/queries.ts
 * searchKeys) over 100k keys: every page of the whole list by its cursor,
 * and the filtered searches a company's automation runs (one organization,
 * a status, a name fragment, a prefix, an external id). Prints p50/p95 per
 * page. Target: p95 ≤ 100 ms on the PostgreSQL server.
 */
import "../scripts/load-env";
import { parseArgs } from "node:util";
import { benchDatabases, createBenchDatabase, closeDatabase, writeResults, table } from "./support";
import { seedDemoWorld } from "../lib/seed";
import { getPrisma } from "../lib/db";
import { searchKeys } from "../lib/keys/queries";
import type { KeySearchInput } from "../lib/keys/schemas";

const { values } = parseArgs({ options: { db: { type: "string" }, keys: { type: "string", default: "100000" } }, strict: false });
const KEYS = Number(values.keys);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Pages through a search to its end (or `maxPages`), timing each page. */
async function pageThrough(name: string, filters: KeySearchInput, maxPages = Infinity) {
  const times: number[] = [];
  let cursor: string | undefined;
  let rows = 0;
  do {
    const t = performance.now();
    const page = await searchKeys({ ...filters, limit: 100, ...(cursor ? { cursor } : {}) });
    times.push(performance.now() - t);
    rows += page.keys.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && times.length < maxPages);
  times.sort((a, b) => a - b);
  return {
    search: name,
    pages: times.length,
    rows,
    "p50 (ms)": +quantile(times, 0.5).toFixed(1),
    "p95 (ms)": +quantile(times, 0.95).toFixed(1),
    "max (ms)": +times[times.length - 1].toFixed(1),
  };
}

const results: Record<string, unknown>[] = [];
for (const kind of benchDatabases()) {
  console.log(`\n== ${kind}: seeding ${KEYS.toLocaleString("en")} keys`);
  const db = await createBenchDatabase(kind, "keys-list");
  try {
    const now = new Date();
    const t = performance.now();
    await seedDemoWorld({ keys: KEYS, now });
    console.log(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const prisma = await getPrisma();
    // Some keys carry an external id, as an adopting company's would.
    await prisma.$executeRawUnsafe(`UPDATE api_keys SET "externalId" = 'ext_' || id WHERE id IN (SELECT id FROM api_keys ORDER BY "createdAt" LIMIT 1000)`);
    await prisma.$executeRawUnsafe(`ANALYZE api_keys`);
    const [org] = await prisma.$queryRawUnsafe<{ organizationId: string }[]>(`SELECT "organizationId" FROM api_keys GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    const [some] = await prisma.$queryRawUnsafe<{ prefix: string; externalId: string }[]>(
      `SELECT prefix, "externalId" FROM api_keys WHERE "externalId" IS NOT NULL LIMIT 1`,
    );
    const keys = await prisma.apiKey.count();
    const rows = [
      await pageThrough("every key", {}),
      await pageThrough("one organization (the largest)", { organizationId: org.organizationId }),
      await pageThrough("status=revoked", { status: "revoked" }),
      await pageThrough("name contains 'web' (first 50 pages)", { name: "web" }, 50),
      await pageThrough("prefix (one key's first 12 chars)", { prefix: some.prefix.slice(0, 12) }),
      await pageThrough("externalId (exact)", { externalId: some.externalId }),
    ].map((r) => ({ database: kind, keys, ...r }));
    table(rows);
    results.push(...rows);
  } finally {
    await closeDatabase();
    await db.drop();
  }
}
console.log("\n== key search, 100 keys per page (target p95 ≤ 100 ms on the PostgreSQL server)");
table(results);
writeResults("keys-list", results);
process.exit(0);
