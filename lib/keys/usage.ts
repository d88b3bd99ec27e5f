import "server-only";
import { inTransaction } from "../db";
import { log } from "../log";
import { raiseVerificationAlerts } from "../alerts/conditions";
import { appendAuditEvents } from "../audit/write";

/**
 * Verification counts, gathered in memory and written in one set-based batch
 * a second (not one write per request): per key and hour (verifications, and
 * rejected attempts of revoked or expired keys, which feed alerts), per hour
 * and result for everything, and each key's last-used time.
 */
/** `first`/`last`: this hour's earliest and latest accepted verification (Infinity/0 when none). */
type KeyHour = { keyId: string; hour: string; verifications: number; rejected: number; first: number; last: number };
type ResultHour = { hour: string; result: string; count: number };

// Counts by hour, then by key id or result: the hot path looks up strings it
// already holds (a record's key id) instead of building "id|hour" per call.
let keyHours = new Map<string, Map<string, KeyHour>>();
let results = new Map<string, Map<string, ResultHour>>();
/** Per key, from verifiers' reports and failed writes: the earliest and latest accepted verification. */
let used = new Map<string, { first: number; last: number }>();
/** Keys accepted under an older hashing secret version, to store under the current one (by key id: once each). */
let rehash = new Map<string, { from: string; to: string; version: number }>();
/** The current hour's buckets, so the hot path skips the lookup by hour (reset when the maps are swapped). */
let current: { start: number; hour: string; keys: Map<string, KeyHour>; results: Map<string, ResultHour> } | undefined;
// biome-ignore lint/correctness/noUnusedVariables: read by `timer ??=`, so one interval runs however often a flush is asked for
let timer: NodeJS.Timeout | undefined;
let flushing: Promise<void> | undefined;

const FLUSH_MS = 1_000;
/** The timer's flush: skipped while one is under way (a slow database must not queue a write a second). */
const tick = () => {
  if (!flushing) void flushUsage().catch(() => {});
};

// Every verification names its hour: format it once an hour, not once a call.
let lastHour = { start: NaN, iso: "" };
function hourOf(now: Date): string {
  const start = Math.floor(now.getTime() / 3_600_000) * 3_600_000;
  if (start !== lastHour.start) lastHour = { start, iso: new Date(start).toISOString() };
  return lastHour.iso;
}

function bucket<T>(byHour: Map<string, Map<string, T>>, hour: string): Map<string, T> {
  let b = byHour.get(hour);
  if (!b) byHour.set(hour, (b = new Map()));
  return b;
}

function addKeyHour(keyId: string, hour: string, verifications: number, rejected: number) {
  countKey(bucket(keyHours, hour), keyId, hour, verifications, rejected);
}

function countKey(b: Map<string, KeyHour>, keyId: string, hour: string, verifications: number, rejected: number): KeyHour {
  let kh = b.get(keyId);
  if (kh) {
    kh.verifications += verifications;
    kh.rejected += rejected;
  } else b.set(keyId, (kh = { keyId, hour, verifications, rejected, first: Infinity, last: 0 }));
  return kh;
}

function addResult(hour: string, result: string, count: number) {
  const b = bucket(results, hour);
  const r = b.get(result);
  if (r) r.count += count;
  else b.set(result, { hour, result, count });
}

/** Counts one verification; `accepted` is whether the key was accepted. */
export function recordVerification(keyId: string | null, result: string, accepted: boolean, now: Date): void {
  const t = now.getTime();
  if (!current || t < current.start || t >= current.start + 3_600_000) {
    const hour = hourOf(now);
    current = { start: lastHour.start, hour, keys: bucket(keyHours, hour), results: bucket(results, hour) };
    timer ??= setInterval(tick, FLUSH_MS).unref();
  }
  const r = current.results.get(result);
  if (r) r.count++;
  else current.results.set(result, { hour: current.hour, result, count: 1 });
  if (keyId) {
    const kh = countKey(current.keys, keyId, current.hour, accepted ? 1 : 0, accepted ? 0 : 1);
    if (accepted) {
      if (t < kh.first) kh.first = t;
      if (t > kh.last) kh.last = t;
    }
  }
}

/**
 * A key was accepted under an older hashing secret version: written with the
 * next batch as its hash under the current version (`to`), if it is still
 * stored under `from` (a key re-hashed meanwhile, or changed, is left alone).
 */
export function queueRehash(keyId: string, from: string, to: string, version: number): void {
  if (rehash.has(keyId)) return;
  rehash.set(keyId, { from, to, version });
  timer ??= setInterval(tick, FLUSH_MS).unref();
}

function noteUse(keyId: string, first: number, last: number) {
  const u = used.get(keyId);
  if (u) {
    if (first < u.first) u.first = first;
    if (last > u.last) u.last = last;
  } else used.set(keyId, { first, last });
}

/** Usage counted elsewhere (an in-process verifier's report), merged into the next write. */
export interface UsageReport {
  keys: { keyId: string; hour: string; verifications: number; rejected: number; firstUsedAt?: string; lastUsedAt?: string }[];
  results: { hour: string; result: string; count: number }[];
}

/** Adds a verifier's report to what is counted here; written with the next batch. */
export function mergeUsageReport(report: UsageReport): void {
  for (const k of report.keys) {
    // One spelling of an hour, so a report's counts land on the same row as this instance's.
    addKeyHour(k.keyId, new Date(k.hour).toISOString(), k.verifications, k.rejected);
    if (k.firstUsedAt && k.lastUsedAt) noteUse(k.keyId, Date.parse(k.firstUsedAt), Date.parse(k.lastUsedAt));
  }
  for (const r of report.results) addResult(new Date(r.hour).toISOString(), r.result, r.count);
  timer ??= setInterval(tick, FLUSH_MS).unref();
}

/**
 * Writes what has been counted so far; counts survive a failed write for the
 * next one. A write already under way may have taken its batch before the
 * caller's last counts: wait for it, then write what is left, so the caller's
 * counts are written when this resolves (a test, a shutdown).
 */
export async function flushUsage(): Promise<void> {
  while (flushing) await flushing.catch(() => {});
  flushing = doFlush().finally(() => (flushing = undefined));
  return flushing;
}

async function doFlush(): Promise<void> {
  if (keyHours.size === 0 && results.size === 0 && used.size === 0 && rehash.size === 0) return;
  const kh = [...keyHours.values()].flatMap((b) => [...b.values()]);
  const rs = [...results.values()].flatMap((b) => [...b.values()]);
  for (const x of kh) if (x.verifications > 0 && x.last > 0) noteUse(x.keyId, x.first, x.last);
  const lu = [...used.entries()];
  const rh = [...rehash.entries()];
  keyHours = new Map();
  results = new Map();
  used = new Map();
  rehash = new Map();
  current = undefined;
  try {
    // inTransaction: this process's caches forget the re-hashed keys' old and new hashes at commit.
    await inTransaction(async (tx) => {
      if (kh.length) {
        await tx.$executeRaw`
          INSERT INTO key_usage_hourly ("keyId", hour, verifications, rejected)
          SELECT v.k, v.h::timestamptz, v.n, v.r
          FROM unnest(${kh.map((x) => x.keyId)}::text[], ${kh.map((x) => x.hour)}::text[], ${kh.map((x) => x.verifications)}::int[], ${kh.map((x) => x.rejected)}::int[]) AS v(k, h, n, r)
          WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = v.k)
          ON CONFLICT ("keyId", hour) DO UPDATE
          SET verifications = key_usage_hourly.verifications + EXCLUDED.verifications,
              rejected = key_usage_hourly.rejected + EXCLUDED.rejected`;
      }
      if (rs.length) {
        await tx.$executeRaw`
          INSERT INTO verification_counts (hour, result, count)
          SELECT v.h::timestamptz, v.r, v.n
          FROM unnest(${rs.map((x) => x.hour)}::text[], ${rs.map((x) => x.result)}::text[], ${rs.map((x) => x.count)}::int[]) AS v(h, r, n)
          ON CONFLICT (hour, result) DO UPDATE SET count = verification_counts.count + EXCLUDED.count`;
      }
      if (lu.length) {
        await tx.$executeRaw`
          UPDATE api_keys k SET "lastUsedAt" = GREATEST(COALESCE(k."lastUsedAt", v.t::timestamptz), v.t::timestamptz),
                 "firstUsedAt" = LEAST(COALESCE(k."firstUsedAt", v.f::timestamptz), v.f::timestamptz)
          FROM unnest(${lu.map(([id]) => id)}::text[], ${lu.map(([, u]) => new Date(u.first).toISOString())}::text[], ${lu.map(([, u]) => new Date(u.last).toISOString())}::text[]) AS v(id, f, t)
          WHERE k.id = v.id`;
      }
      if (rh.length) {
        // The trigger announces the old hash as gone and the new one as changed (key_changes, NOTIFY).
        // An imported key leaves its legacy hash for good (audited: the evidence says when each key stopped depending on it).
        const upgraded = await tx.$queryRaw<{ id: string; organizationId: string; prefix: string; algorithm: string | null }[]>`
          UPDATE api_keys k SET hash = v.n, "hashVersion" = v.ver, "legacyHash" = NULL, "legacyAlgorithm" = NULL, "legacyParams" = NULL
          FROM unnest(${rh.map(([id]) => id)}::text[], ${rh.map(([, r]) => r.from)}::text[], ${rh.map(([, r]) => r.to)}::text[], ${rh.map(([, r]) => r.version)}::int[]) AS v(id, o, n, ver),
               LATERAL (SELECT "legacyAlgorithm" FROM api_keys WHERE id = v.id) old
          WHERE k.id = v.id AND k.hash = v.o
          RETURNING k.id, k."organizationId", k.prefix, old."legacyAlgorithm" AS algorithm`;
        await appendAuditEvents(
          tx,
          upgraded
            .filter((u) => u.algorithm)
            .map((u) => ({
              actor: "verifier" as const,
              action: "key.hash_upgraded",
              organizationId: u.organizationId,
              keyId: u.id,
              keyFingerprint: u.prefix,
              reason: "first successful verification of an imported key: its legacy hash is deleted",
              before: { hash: u.algorithm },
              after: { hash: "hmac-sha256" },
            })),
          new Date(),
        );
      }
    });
  } catch (error) {
    for (const x of kh) addKeyHour(x.keyId, x.hour, x.verifications, x.rejected);
    for (const x of rs) addResult(x.hour, x.result, x.count);
    for (const [id, u] of lu) noteUse(id, u.first, u.last);
    for (const [id, r] of rh) if (!rehash.has(id)) rehash.set(id, r);
    throw error;
  }
  await alertOnRefusals(kh, rs);
}

/**
 * Alerts the verifier raises itself, right after the counts land: a revoked
 * or expired key that was tried, and a spike of failed verifications. Only
 * when this batch holds refusals, so the common case costs nothing.
 */
async function alertOnRefusals(kh: KeyHour[], rs: { hour: string; result: string; count: number }[]): Promise<void> {
  const refusedKeys = [...new Set(kh.filter((x) => x.rejected > 0).map((x) => x.keyId))];
  const failures = rs.some((r) => r.result !== "valid" && r.result !== "deprecated");
  if (refusedKeys.length === 0 && !failures) return;
  try {
    // The time of the verifications counted (their hour), not the clock: the same in production, and right in tests that move time.
    const at = new Date(Math.max(...kh.map((x) => Date.parse(x.hour)), ...rs.map((x) => Date.parse(x.hour))));
    await raiseVerificationAlerts(at, refusedKeys);
  } catch (error) {
    // The cron checks the same conditions every minute: a miss here is caught there.
    log.warn({ err: error instanceof Error ? error.message : String(error) }, "verification alerts failed");
  }
}
