/**
 * npm run bench:cron [-- --db=pglite|postgres] [-- --keys=100000] [-- --due=10000]
 *
 * One cron call over a seeded world with 10k rotations due, over 100k keys
 * and over 50k, on each database. Prints the call's duration, its steps, what
 * it did and the SQL statements it sent, so the two sizes show whether the
 * statements grow with the number of keys.
 *
 * The seeded world has thousands of keys past their max age, which a first
 * call schedules and starts (what a first deploy over old keys does): that
 * catch-up call is measured too, without delivery, and its emails are then
 * marked sent. The measured call is the next one, a minute later, with 10k
 * rotations due and the cron's normal delivery budget. Emails go to a
 * throwaway file outbox.
 */
import "../scripts/load-env";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { benchDatabases, createBenchDatabase, closeDatabase, writeResults, table } from "./support";
import { seedDemoWorld } from "../lib/seed";
import { getPrisma } from "../lib/db";
import { runCron } from "../lib/cron/run";
import { fileMailer } from "../lib/notifications/mailer";

const { values } = parseArgs({
  options: { db: { type: "string" }, keys: { type: "string", default: "100000" }, due: { type: "string", default: "10000" } },
  strict: false,
});
const KEYS = Number(values.keys);
const DUE = Number(values.due);
// The same work (rotations due) over half and all of the keys: the statements sent must not grow with the keys.
const SIZES = [
  { keys: Math.round(KEYS / 2), due: DUE },
  { keys: KEYS, due: DUE },
];

/** Schedules `due` rotations of active keys (the newest, well within policy) at a moment just past. */
async function makeRotationsDue(due: number, now: Date) {
  const prisma = await getPrisma();
  const at = new Date(now.getTime() - 60_000);
  return prisma.$executeRaw`
    INSERT INTO rotations (id, "keyId", "openKeyId", kind, state, deliver, reason, "gracePeriodHours", "scheduledAt", "graceEndsAt", "createdBy", "createdAt", "updatedAt")
    SELECT gen_random_uuid()::text, k.id, k.id, 'scheduled', 'scheduled', 'portal', 'bench', 72, ${at}, ${at}::timestamptz + interval '72 hours', 'system:seed', ${at}, ${at}
    FROM api_keys k
    WHERE k.status = 'active' AND NOT EXISTS (SELECT 1 FROM rotations r WHERE r."openKeyId" = k.id)
    ORDER BY k."createdAt" DESC
    LIMIT ${due}`;
}

const results: Record<string, unknown>[] = [];
for (const kind of benchDatabases()) {
  for (const size of SIZES) {
    console.log(`\n== ${kind}: seeding ${size.keys.toLocaleString("en")} keys, ${size.due.toLocaleString("en")} rotations due`);
    const db = await createBenchDatabase(kind, "cron", { countQueries: true });
    const mail = mkdtempSync(path.join(tmpdir(), "rekey-bench-mail-"));
    try {
      await seedDemoWorld({ keys: size.keys });
      const first = new Date();
      const catchUp = await runCron(first, { delivery: { budgetMs: 0 } });
      const prisma = await getPrisma();
      await prisma.notification.updateMany({ where: { status: "pending" }, data: { status: "sent", sentAt: first } });
      const now = new Date(first.getTime() + 60_000);
      const made = await makeRotationsDue(size.due, now);
      const before = db.queryCount();
      const summary = await runCron(now, { delivery: { mailer: fileMailer(mail) } });
      const queries = db.queryCount() - before;
      const backlog = await prisma.notification.count({ where: { status: "pending" } });
      const row = {
        database: kind,
        keys: size.keys,
        "first call: scheduled+started": `${catchUp.scheduled}+${catchUp.rotations.started}`,
        "first call (s, no delivery)": +(catchUp.durationMs / 1000).toFixed(2),
        "rotations due": made,
        "duration (s)": +(summary.durationMs / 1000).toFixed(2),
        "without delivery (s)": +((summary.durationMs - (summary.stepMs.deliver ?? 0)) / 1000).toFixed(2),
        "SQL statements": queries,
        scheduled: summary.scheduled,
        started: summary.rotations.started,
        completed: summary.rotations.completed,
        "alerts raised": summary.alerts.raised,
        "emails sent": summary.emails.sent,
        "emails left": backlog,
      };
      results.push({ ...row, stepMs: summary.stepMs, errors: summary.errors });
      table([row]);
      console.log("steps (ms):", JSON.stringify(summary.stepMs));
      if (summary.errors.length) console.log("errors:", summary.errors);
    } finally {
      await closeDatabase();
      await db.drop();
      rmSync(mail, { recursive: true, force: true });
    }
  }
}
console.log("\n== one cron call");
table(results.map(({ stepMs: _s, errors: _e, ...r }) => r));
writeResults("cron", results);
process.exit(0);
