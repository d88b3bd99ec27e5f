import "server-only";
import { assertServing, restoreGateOpen } from "../backup/gate";
import { getDatabase, onCommit, type Database, type Listener } from "../db";
import { decide, type VerificationRecord, type VerifyResult } from "../../packages/verifier/src/rule";
import { isWellFormedKey } from "./format";
import { hashUnder } from "./hash";
import { getHashingSecrets } from "../secret";
import { getVerificationRecord } from "./records";
import { queueRehash, recordVerification } from "./usage";

export type { VerifyResult, InvalidCode } from "../../packages/verifier/src/rule";

/**
 * Verification records are cached in process by keyed hash (null = no such
 * key); the answer is computed from the record at every call, so a deadline
 * passes on time however long a record stays cached. Every change to a
 * record is announced by a database trigger on `rekey_key_changed` and drops
 * the entry on every instance at once ("*": every entry). While the LISTEN
 * connection is down, notifications are lost, so entries are trusted for a
 * second only: that is the bound on how long a revocation made elsewhere can
 * go unseen (README, "Verification").
 *
 * Entries are keyed by the hash a key is stored under, since that is what an
 * invalidation names. A key still stored under an older hashing secret
 * version is found by its hash under that version (computed only when the
 * current version's misses), and is re-hashed under the current version on
 * its next successful verification, written with the usage counts: its old
 * hash is then announced as gone and its new one as changed, so every cache
 * and replica moves with it. "Unknown" is cached under the current version's
 * hash only, after a lookup under every configured version found nothing.
 */
const TTL_MS = 60_000;
const TTL_WHILE_DEAF_MS = 1_000;
const MAX_ENTRIES = 200_000;
// One cache and one listener per process, on globalThis: under `npm start`
// the fast path and Next's bundled routes each load this module.
type State = {
  cache: Map<string, { record: VerificationRecord | null; at: number }>;
  generation: number;
  db?: Database;
  subscribed?: Promise<Listener>;
  listener?: Listener;
};
const state: State = ((globalThis as { __rekeyVerify?: State }).__rekeyVerify ??= { cache: new Map(), generation: 0 });
const cache = state.cache;

async function subscribe(): Promise<Listener> {
  const db = await getDatabase();
  // A process's database changes only in tests and scripts that open their own: follow it.
  if (state.db !== db || !state.subscribed) {
    state.db = db;
    state.listener = undefined;
    clearVerifyCache();
    state.subscribed = db.listen("rekey_key_changed", (hash) => (hash === "*" ? clearVerifyCache() : forget(hash)), clearVerifyCache).then((l) => (state.listener = l));
  }
  return state.subscribed;
}

function forget(hash: string) {
  state.generation++;
  cache.delete(hash);
}

type Entry = { record: VerificationRecord | null; at: number };

/**
 * The cached entry for a presented key whose current-version hash is
 * `currentHash`: under that hash, else (older versions configured) under
 * its hash by each older version, whose record must have been made by that
 * version. Undefined when nothing fresh is cached.
 */
function cached(presented: string, currentHash: string, now: number, ttl: number): Entry | undefined {
  const hit = cache.get(currentHash);
  if (hit) return now - hit.at < ttl ? hit : undefined;
  const { secrets } = getHashingSecrets();
  for (let i = 1; i < secrets.length; i++) {
    const version = secrets[i].version;
    const old = cache.get(hashUnder(version, presented));
    if (old && old.record && (old.record.hashVersion ?? 1) === version) return now - old.at < ttl ? old : undefined;
  }
  return undefined;
}

async function getRecord(presented: string, currentHash: string, now: number): Promise<VerificationRecord | null> {
  const l = await subscribe();
  const hit = cached(presented, currentHash, now, l.isUp() ? TTL_MS : TTL_WHILE_DEAF_MS);
  if (hit) return hit.record;
  const before = state.generation;
  const { secrets } = getHashingSecrets();
  const record = await getVerificationRecord(secrets.map((s, i) => ({ hash: i === 0 ? currentHash : hashUnder(s.version, presented), hashVersion: s.version })));
  // A change announced while we read may not be in what we read: do not keep it.
  if (state.generation === before) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(record?.hash ?? currentHash, { record, at: now });
  }
  return record;
}

/**
 * Answers whether a presented key is valid at `now`: a malformed one (bad
 * shape or checksum) is refused before any database work; an old key in
 * grace is valid but deprecated, with its deadline and successor's prefix;
 * past its deadline it is revoked, whether or not the cron has run
 * (packages/verifier/src/rule.ts).
 */
export async function verifyKey(presented: string, now: Date): Promise<VerifyResult> {
  await assertServing(); // no answer while a restore re-applies revocations (lib/backup/gate.ts)
  const quick = verifyKeyFromCache(presented, now);
  if (quick) return quick;
  const currentHash = hashUnder(getHashingSecrets().current, presented);
  const record = await getRecord(presented, currentHash, now.getTime());
  return answer(record, currentHash, now);
}

/**
 * verifyKey's answer when the cache alone can give it (a malformed key, or a
 * cached record), else null: no promise in between, for the fast path, where
 * each one costs (Next's AsyncLocalStorage tracks them all).
 */
export function verifyKeyFromCache(presented: string, now: Date): VerifyResult | null {
  if (restoreGateOpen() !== true) return null; // verifyKey reads the gate and refuses while it is shut
  if (!isWellFormedKey(presented)) {
    recordVerification(null, "malformed", false, now);
    return { valid: false, code: "malformed" };
  }
  const listener = state.listener;
  if (!listener) return null;
  const { current } = getHashingSecrets();
  const currentHash = hashUnder(current, presented);
  const hit = cached(presented, currentHash, now.getTime(), listener.isUp() ? TTL_MS : TTL_WHILE_DEAF_MS);
  if (!hit) return null;
  return answer(hit.record, currentHash, now);
}

function answer(record: VerificationRecord | null, currentHash: string, now: Date): VerifyResult {
  const result = decide(record, now.getTime());
  const outcome = result.valid ? (result.deprecated ? "deprecated" : "valid") : result.code;
  recordVerification(record?.keyId ?? null, outcome, result.valid, now);
  // Accepted under an older hashing secret: stored again under the current one with the next usage write.
  if (result.valid && record!.hashVersion !== getHashingSecrets().current) queueRehash(record!.keyId, record!.hash, currentHash, getHashingSecrets().current);
  return result;
}

/**
 * Whether this instance hears about changes made elsewhere now, and how often
 * it had to reconnect; starts listening if nothing has yet (`starting`: so a
 * health check right after start reports the truth rather than "down").
 */
export function verifyListenerState(): { up: boolean; reconnects: number; starting: boolean } {
  const listener = state.listener;
  if (!listener) {
    subscribe().catch(() => (state.subscribed = undefined));
    return { up: false, reconnects: 0, starting: true };
  }
  return { up: listener.isUp(), reconnects: listener.reconnects(), starting: false };
}

/** Forgets every cached answer. */
export function clearVerifyCache(): void {
  state.generation++;
  cache.clear();
}

// This process's own writes are visible to its next verification at once,
// without waiting for its NOTIFY to come back. (Registered by each copy of
// the module; both act on the one shared cache.)
onCommit((changed) => (changed.includes(null) ? clearVerifyCache() : changed.forEach((hash) => forget(hash!))));
