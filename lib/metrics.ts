import "server-only";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import packageJson from "../package.json";
import { verifyListenerState } from "./keys/verify";
import { getPrisma } from "./db";
import { complianceNow } from "./reports/overview";
import { countByHashVersion } from "./keys/hash-versions";
import { getHashingSecrets } from "./secret";

/**
 * This process's own metrics (prom-client's defaults: CPU, memory, event-loop
 * lag, open handles, with their conventional `process_` and `nodejs_` names),
 * collected once per process; merged into each scrape.
 */
const processRegistry = (() => {
  const key = Symbol.for("rekey.metrics.process");
  const g = globalThis as { [key]?: Registry };
  if (!g[key]) {
    g[key] = new Registry();
    collectDefaultMetrics({ register: g[key] });
    // prom-client names three gauges with a counter's `_total` (promtool check metrics refuses them); the same
    // figures are the sums of their per-type siblings (nodejs_active_handles{type}, …), which stay.
    for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) g[key].removeSingleMetric(name);
  }
  return g[key];
})();

/**
 * The Prometheus exposition for /api/metrics, read from the database at
 * scrape time, so every instance reports the same figures (prom-client
 * formats them).
 */
export async function renderMetrics(now: Date): Promise<{ body: string; contentType: string }> {
  const prisma = await getPrisma();
  const [keys, [compliance], rotations, outbox, verifications, [lastRun], alerts, hashVersions, legacy] = await Promise.all([
    prisma.apiKey.groupBy({ by: ["status"], _count: { _all: true } }),
    complianceNow(now),
    prisma.rotation.groupBy({ by: ["state"], _count: { _all: true } }),
    prisma.$queryRaw<{ status: string; count: number; oldest: Date | null }[]>`
      SELECT status::text AS status, count(*)::int AS count, min("createdAt") AS oldest FROM notifications WHERE status <> 'sent' GROUP BY status`,
    prisma.verificationCount.groupBy({ by: ["result"], _sum: { count: true } }),
    prisma.cronRun.findMany({
      where: { durationMs: { not: null } },
      orderBy: { startedAt: "desc" },
      take: 1,
      select: { durationMs: true, startedAt: true, error: true },
    }),
    prisma.alert.groupBy({ by: ["kind"], where: { status: { not: "resolved" } }, _count: { _all: true } }),
    countByHashVersion(prisma),
    prisma.apiKey.groupBy({ by: ["legacyAlgorithm"], where: { legacyHash: { not: null }, status: { in: ["active", "expiring"] } }, _count: { _all: true } }),
  ]);
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });

  const byStatus = gauge("rekey_keys", "API keys by status.", ["status"]);
  for (const s of ["active", "expiring", "revoked", "expired"]) byStatus.set({ status: s }, keys.find((k) => k.status === s)?._count._all ?? 0);
  gauge("rekey_compliance_ratio", "Keys in use within their policy's max age, over all keys in use (1 when there are none).").set(
    compliance.in_use ? compliance.compliant / compliance.in_use : 1,
  );
  gauge("rekey_keys_in_use", "Active and expiring keys.").set(compliance.in_use);
  const byState = gauge("rekey_rotations", "Rotations by state.", ["state"]);
  for (const s of ["scheduled", "grace", "completed", "cancelled", "rolled_back", "failed"])
    byState.set({ state: s }, rotations.find((r) => r.state === s)?._count._all ?? 0);
  const backlog = gauge("rekey_outbox_backlog", "Notifications not sent yet, by status (pending or failed).", ["status"]);
  for (const s of ["pending", "failed"]) backlog.set({ status: s }, outbox.find((o) => o.status === s)?.count ?? 0);
  const pending = outbox.find((o) => o.status === "pending");
  gauge("rekey_outbox_oldest_pending_seconds", "Age of the oldest pending notification.").set(
    pending?.oldest ? Math.max(0, (now.getTime() - pending.oldest.getTime()) / 1000) : 0,
  );
  // A counter kept in the database, so every instance reports the same total; the retention purge of old days is seen as a reset.
  const verified = new Counter({
    name: "rekey_verifications_total",
    help: "Verifications, by result, counted in the database since its retention window began.",
    labelNames: ["result"],
    registers: [registry],
  });
  for (const r of ["valid", "deprecated", "revoked", "expired", "unknown", "malformed"])
    verified.inc({ result: r }, verifications.find((v) => v.result === r)?._sum.count ?? 0);
  gauge("rekey_build_info", "Always 1: the running version of rekey and of Node.js, as labels.", ["version", "node"]).set(
    { version: packageJson.version, node: process.version },
    1,
  );
  // Every configured version is reported (0 when nothing is on it), and any other version something is still stored under.
  const { current, secrets } = getHashingSecrets();
  const versions = [...new Set([...secrets.map((s) => s.version), ...hashVersions.map((h) => h.version)])];
  const keysByVersion = gauge(
    "rekey_keys_by_hash_version",
    "Keys in use (active and expiring) by the version of the hashing secret their hash was made with.",
    ["version"],
  );
  const tokensByVersion = gauge(
    "rekey_management_tokens_by_hash_version",
    "Management tokens not revoked, by the version of the hashing secret their hash was made with.",
    ["version"],
  );
  for (const v of versions) {
    const h = hashVersions.find((x) => x.version === v);
    keysByVersion.set({ version: String(v) }, h?.keysInUse ?? 0);
    tokensByVersion.set({ version: String(v) }, h?.tokensInUse ?? 0);
  }
  const onLegacy = gauge(
    "rekey_keys_on_legacy_hash",
    "Imported keys in use that are still on the hash of the system they came from (moved to rekey's at their first successful verification), by algorithm.",
    ["algorithm"],
  );
  for (const a of ["sha256", "bcrypt", "argon2", "scrypt"]) onLegacy.set({ algorithm: a }, legacy.find((l) => l.legacyAlgorithm === a)?._count._all ?? 0);
  gauge("rekey_hash_version_current", "The version of the hashing secret new keys and tokens are hashed with.").set(current);
  const open = gauge("rekey_alerts_open", "Open or acknowledged alerts, by kind.", ["kind"]);
  for (const a of alerts) open.set({ kind: a.kind }, a._count._all);
  gauge("rekey_cron_last_run_duration_seconds", "Duration of the last finished cron call.").set(lastRun ? (lastRun.durationMs ?? 0) / 1000 : 0);
  gauge("rekey_cron_last_run_timestamp_seconds", "When the last finished cron call ran.").set(lastRun ? lastRun.startedAt.getTime() / 1000 : 0);
  gauge("rekey_cron_last_run_failed", "1 when a step of the last cron call failed.").set(lastRun?.error ? 1 : 0);
  // This instance's own: whether revocations made elsewhere reach its verification cache now.
  const listener = verifyListenerState();
  gauge("rekey_verify_listener_up", "1 when this instance's LISTEN connection (cache invalidation) is up.").set(listener.up ? 1 : 0);
  new Counter({
    name: "rekey_verify_listener_reconnects_total",
    help: "Times this instance re-made its LISTEN connection after losing it.",
    registers: [registry],
  }).inc(listener.reconnects);
  const merged = Registry.merge([registry, processRegistry]);
  return { body: await merged.metrics(), contentType: registry.contentType };
}
