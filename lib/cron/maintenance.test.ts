import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, testDatabaseKind } from "../../tests/support/database";
import { analyzeEmbeddedDatabaseIfDue, ANALYZE_EVERY_MS } from "./maintenance";
import { runCron } from "./run";

useTestDatabase();

// PGlite runs no autovacuum: without the cron's ANALYZE its planner never learns how many rows a table holds.
describe("the cron's ANALYZE of the embedded database", () => {
  it("refreshes the statistics once an hour on PGlite, and leaves a PostgreSQL server to its autovacuum", async () => {
    const prisma = await testPrisma();
    const analyzed = async () =>
      (
        await prisma.$queryRawUnsafe<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_user_tables WHERE relname = 'audit_events' AND last_analyze IS NOT NULL`,
        )
      )[0].n;
    const now = new Date();
    const summary = await runCron(now);
    if (testDatabaseKind === "pglite") {
      expect(summary.stepMs.analyze).toBeGreaterThanOrEqual(0);
      expect(await analyzed()).toBe(1);
      expect(await analyzeEmbeddedDatabaseIfDue(new Date(now.getTime() + ANALYZE_EVERY_MS - 1))).toBeNull();
      expect(await analyzeEmbeddedDatabaseIfDue(new Date(now.getTime() + ANALYZE_EVERY_MS))).toEqual(expect.any(Number));
    } else {
      expect(await analyzeEmbeddedDatabaseIfDue(now)).toBeNull();
    }
  });
});
