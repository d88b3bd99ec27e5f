import "server-only";
import { getDatabase, onCommit, type Database, type Listener } from "../db";
import { decide, type VerificationRecord, type VerifyResult } from "../../packages/verifier/src/rule";
import { isWellFormedApiKey } from "../../packages/verifier/src/format";
import { hashSecret } from "./hash";
import { getVerificationRecord } from "./records";
import { recordVerification } from "./usage";

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

async function getRecord(hash: string, now: number): Promise<VerificationRecord | null> {
  const l = await subscribe();
  const hit = cache.get(hash);
  if (hit && now - hit.at < (l.isUp() ? TTL_MS : TTL_WHILE_DEAF_MS)) return hit.record;
  const before = state.generation;
  const record = await getVerificationRecord(hash);
  // A change announced while we read may not be in what we read: do not keep it.
  if (state.generation === before) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(hash, { record, at: now });
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
  const quick = verifyKeyFromCache(presented, now);
  if (quick) return quick;
  const record = await getRecord(hashSecret(presented), now.getTime());
  return answer(record, now);
}

/**
 * verifyKey's answer when the cache alone can give it (a malformed key, or a
 * cached record), else null: no promise in between, for the fast path, where
 * each one costs (Next's AsyncLocalStorage tracks them all).
 */
export function verifyKeyFromCache(presented: string, now: Date): VerifyResult | null {
  if (!isWellFormedApiKey(presented)) {
    recordVerification(null, "malformed", false, now);
    return { valid: false, code: "malformed" };
  }
  const listener = state.listener;
  if (!listener) return null;
  const hit = cache.get(hashSecret(presented));
  if (!hit || now.getTime() - hit.at >= (listener.isUp() ? TTL_MS : TTL_WHILE_DEAF_MS)) return null;
  return answer(hit.record, now);
}

function answer(record: VerificationRecord | null, now: Date): VerifyResult {
  const result = decide(record, now.getTime());
  const outcome = result.valid ? (result.deprecated ? "deprecated" : "valid") : result.code;
  recordVerification(record?.keyId ?? null, outcome, result.valid, now);
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
