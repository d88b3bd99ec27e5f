import "server-only";
import { getDatabase, type Db } from "../db";

/** How often the embedded database's planner statistics are refreshed. */
export const ANALYZE_EVERY_MS = 60 * 60_000;

let lastAnalyzedAt = 0;

/**
 * Refreshes the planner's statistics (ANALYZE) on the embedded database, at
 * most once an hour. PGlite runs no autovacuum, so without this its tables
 * are never analyzed and the planner, guessing from empty statistics, scans a
 * million audit events for a count the primary key's index answers at once. A
 * PostgreSQL server's autovacuum does this by itself: nothing to do there.
 * Returns the milliseconds it took, or null when nothing was due.
 */
export async function analyzeEmbeddedDatabaseIfDue(now: Date): Promise<number | null> {
  const db = await getDatabase();
  if (db.kind !== "pglite" || now.getTime() - lastAnalyzedAt < ANALYZE_EVERY_MS) return null;
  const started = performance.now();
  await analyze(db.prisma);
  lastAnalyzedAt = now.getTime();
  return Math.round(performance.now() - started);
}

/** ANALYZE every table now (after a bulk load such as the demo seed, on either database). */
export async function analyze(prisma: Db): Promise<void> {
  await prisma.$executeRawUnsafe("ANALYZE");
}
