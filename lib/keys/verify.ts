import "server-only";
import { assertServing, restoreGateOpen } from "../backup/gate";
import { getDatabase, onCommit, type Database, type Listener } from "../db";
import { decide, type VerificationRecord, type VerifyResult } from "../../packages/verifier/src/rule";
import { isWellFormedKey } from "./format";
import { hashUnder } from "./hash";
import { getHashingSecrets } from "../secret";
import { findLegacyRecord, getLegacyPrefixes, getVerificationRecord } from "./records";
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
  cache: Map<string, Entry>;
  generation: number;
  db?: Database;
  subscribed?: Promise<Listener>;
  listener?: Listener;
  /** The display prefixes of the imported keys still on a legacy hash, by length; undefined until loaded or after a "*". */
  legacy?: Map<number, Set<string>>;
  legacyLoading?: Promise<Map<number, Set<string>>>;
  legacyAliases?: Map<string, string>;
  /** Counts the "*"s (clearVerifyCache): a load that one overtook is not kept. */
  legacyEpoch?: number;
};
const state: State = ((globalThis as { __rekeyVerify?: State }).__rekeyVerify ??= { cache: new Map(), generation: 0 });
/** At most this many legacy hashes are tried for one presented key (keys sharing a display prefix). */
const MAX_LEGACY_CANDIDATES = 5;
const cache = state.cache;

async function subscribe(): Promise<Listener> {
  const db = await getDatabase();
  // A process's database changes only in tests and scripts that open their own: follow it.
  if (state.db !== db || !state.subscribed) {
    state.db = db;
    state.listener = undefined;
    clearVerifyCache();
    state.subscribed = db
      .listen(
        "rekey_key_changed",
        (hash) => (hash === "*" ? clearVerifyCache() : hash === LEGACY_IMPORTED ? noteLegacyImport() : forget(hash)),
        clearVerifyCache,
      )
      .then((l) => (state.listener = l));
  }
  return state.subscribed;
}

function forget(hash: string) {
  state.generation++;
  cache.delete(hash);
  const alias = legacyAliases.get(hash);
  if (alias) {
    cache.delete(alias);
    legacyAliases.delete(hash);
  }
}

/**
 * An imported key matched on its legacy hash is cached under the presented
 * key's keyed hash too (until it is upgraded, a second of requests must not
 * each pay bcrypt or argon2); a change announced under its stored hash
 * ("legacy:…") drops both entries.
 */
const legacyAliases: Map<string, string> = (state.legacyAliases ??= new Map());

/** `epoch`: for "no such key", the import epoch it was read in (an import since may have brought the key in). */
type Entry = { record: VerificationRecord | null; at: number; epoch?: number };

/**
 * The cached entry for a presented key whose current-version hash is
 * `currentHash`: under that hash, else (older versions configured) under
 * its hash by each older version, whose record must have been made by that
 * version. Undefined when nothing fresh is cached.
 */
function cached(presented: string, currentHash: string, now: number, ttl: number): Entry | undefined {
  const hit = cache.get(currentHash);
  if (hit) return now - hit.at < ttl && (hit.record !== null || hit.epoch === (state.legacyEpoch ?? 0)) ? hit : undefined;
  const { secrets } = getHashingSecrets();
  for (let i = 1; i < secrets.length; i++) {
    const version = secrets[i].version;
    const old = cache.get(hashUnder(version, presented));
    if (old?.record && (old.record.hashVersion ?? 1) === version) return now - old.at < ttl ? old : undefined;
  }
  return undefined;
}

async function getRecord(presented: string, currentHash: string, now: number, legacyHeads: string[]): Promise<VerificationRecord | null> {
  const l = await subscribe();
  const hit = cached(presented, currentHash, now, l.isUp() ? TTL_MS : TTL_WHILE_DEAF_MS);
  if (hit) return hit.record;
  const before = state.generation;
  const { secrets } = getHashingSecrets();
  const record =
    (await getVerificationRecord(secrets.map((s, i) => ({ hash: i === 0 ? currentHash : hashUnder(s.version, presented), hashVersion: s.version })))) ??
    (await findLegacyRecord(presented, legacyHeads, MAX_LEGACY_CANDIDATES));
  // A change announced while we read may not be in what we read: do not keep it.
  if (state.generation === before) {
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(record?.hash ?? currentHash, { record, at: now, epoch: state.legacyEpoch ?? 0 });
    if (record && record.hashVersion === 0) {
      cache.set(currentHash, { record, at: now });
      legacyAliases.set(record.hash, currentHash);
    }
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
  const heads = matchingLegacyPrefixes(await loadLegacyPrefixes(), presented);
  if (heads.length === 0 && !isWellFormedKey(presented)) return refuseMalformed(now);
  const currentHash = hashUnder(getHashingSecrets().current, presented);
  const record = await getRecord(presented, currentHash, now.getTime(), heads);
  return answer(record, currentHash, now);
}

function refuseMalformed(now: Date): VerifyResult {
  recordVerification(null, "malformed", false, now);
  return { valid: false, code: "malformed" };
}

/** The prefixes of imported keys still on a legacy hash, by length, loaded once and again after every "*" (an import sends one). */
function loadLegacyPrefixes(): Promise<Map<number, Set<string>>> {
  if (state.legacy) return Promise.resolve(state.legacy);
  const epoch = state.legacyEpoch ?? 0;
  state.legacyLoading ??= getLegacyPrefixes()
    .then((prefixes) => {
      const byLength = new Map<number, Set<string>>();
      for (const p of prefixes) {
        const set = byLength.get(p.length) ?? byLength.set(p.length, new Set()).get(p.length)!;
        set.add(p);
      }
      // A "*" while loading may mean an import this read did not see: keep the answer for this call only.
      if ((state.legacyEpoch ?? 0) === epoch) state.legacy = byLength;
      return byLength;
    })
    .finally(() => (state.legacyLoading = undefined));
  return state.legacyLoading;
}

/** The heads of `presented` that are an imported key's display prefix (none: it cannot be a legacy key). */
function matchingLegacyPrefixes(byLength: Map<number, Set<string>>, presented: string): string[] {
  const heads: string[] = [];
  for (const [length, prefixes] of byLength) {
    if (length < presented.length && prefixes.has(presented.slice(0, length))) heads.push(presented.slice(0, length));
  }
  return heads;
}

/**
 * verifyKey's answer when the cache alone can give it (a malformed key, or a
 * cached record), else null: no promise in between, for the fast path, where
 * each one costs (Next's AsyncLocalStorage tracks them all).
 */
export function verifyKeyFromCache(presented: string, now: Date): VerifyResult | null {
  if (restoreGateOpen() !== true) return null; // verifyKey reads the gate and refuses while it is shut
  if (!isWellFormedKey(presented)) {
    // Not in rekey's format: noise, unless it may be an imported key (its prefix known once the prefixes are loaded).
    if (!state.legacy || matchingLegacyPrefixes(state.legacy, presented).length > 0) return null;
    return refuseMalformed(now);
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

/** What an import announces on rekey_key_changed (lib/keys/import.ts): not a hash, so no record is named by it. */
export const LEGACY_IMPORTED = "+legacy";

/**
 * Keys were imported (here, or on another instance: its NOTIFY): the imported
 * prefixes are read again, and a "no such key" cached before is asked again,
 * since the key may be one of them. Cached records stay.
 */
export function noteLegacyImport(): void {
  state.legacy = undefined;
  state.legacyEpoch = (state.legacyEpoch ?? 0) + 1;
}

/** Forgets every cached answer. */
export function clearVerifyCache(): void {
  state.generation++;
  cache.clear();
  legacyAliases.clear();
  state.legacy = undefined;
  state.legacyEpoch = (state.legacyEpoch ?? 0) + 1;
}

// This process's own writes are visible to its next verification at once,
// without waiting for its NOTIFY to come back. (Registered by each copy of
// the module; both act on the one shared cache.)
onCommit((changed) => {
  if (changed.includes(null)) return clearVerifyCache();
  for (const hash of changed) forget(hash!);
});
