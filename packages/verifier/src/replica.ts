/**
 * An in-process verifier: a replica of rekey's verification records (keyed
 * hash → record, never a key), loaded from an authenticated snapshot and
 * kept current by following the change stream with a cursor. Verification
 * is a hash and a map lookup, with no network hop, and keeps working while
 * rekey is unreachable for up to `maxStalenessMs`; after that it fails closed
 * (`unavailable`), since a key revoked meanwhile would still pass.
 *
 * The protocol it speaks is docs/verifier-protocol.md in the rekey repository.
 */
import { createHmac } from "node:crypto";
import { hashingSecrets as checkSecrets, parseHashingSecrets, type HashingSecret } from "./secrets.js";
import { decide, type VerificationRecord, type VerifyResult } from "./rule.js";
import { DEFAULT_KEY_FORMAT, keyFormatProblems, wellFormedApiKeyCheck, type KeyFormat } from "./format.js";
import { RecordStore } from "./store.js";

export type ReplicaResult = VerifyResult | { valid: false; code: "unavailable" };

export interface ReplicaOptions {
  /** rekey's base URL, e.g. https://rekey.internal.example.com */
  url: string;
  /** REKEY_VERIFY_TOKEN, or a management token. */
  token: string;
  /**
   * rekey's hashing secrets, as rekey is configured with them: REKEY_SECRETS's
   * written form (`*2:…,1:…`) or a list. The replica holds hashes, so it must
   * hash what it is shown, under the version each record was made with.
   * Give it a new version before rekey makes that version current.
   */
  hashingSecrets?: string | HashingSecret[];
  /** The single secret of an older configuration (REKEY_SECRET): version 1. Use `hashingSecrets` instead. */
  hashingSecret?: string;
  /**
   * The window: how long verification goes on without hearing from rekey.
   * It is the longest a key revoked during an outage can still pass here.
   * Default 5 minutes.
   */
  maxStalenessMs?: number;
  /** How often usage counts are reported back. Default 5 s. */
  usageReportMs?: number;
  /** Long-poll wait asked of rekey, in seconds (≤ 25). Default 20. */
  waitSeconds?: number;
  /**
   * The key format, as rekey is configured with it (REKEY_KEY_PREFIX_LIVE,
   * REKEY_KEY_PREFIX_TEST, REKEY_KEY_RANDOM_BYTES, REKEY_KEY_CHECKSUM).
   * Default rekey's own: `rk_live_`/`rk_test_`, 32 random bytes, CRC32. A key
   * not of this format is refused as `malformed` before any hashing.
   */
  keyFormat?: Partial<Omit<KeyFormat, "prefixes">> & { prefixes?: Partial<KeyFormat["prefixes"]> };
  /** For tests: a fetch and a clock of your own. */
  fetch?: typeof fetch;
  now?: () => number;
  /** Told of every failed exchange with rekey (the replica retries by itself). */
  onError?: (error: unknown) => void;
}

export interface ReplicaStatus {
  /** A snapshot has been loaded. */
  ready: boolean;
  /** Verification answers (false once the window has passed without news from rekey). */
  serving: boolean;
  records: number;
  cursor: string | null;
  /** When rekey last answered (ms since the epoch), or null. */
  lastSyncAt: number | null;
  snapshots: number;
  failures: number;
  /** Hashing secret versions that records here were made with but that this replica has no secret for: those keys answer `unknown` here. */
  missingHashVersions: number[];
}

type KeyCount = { keyId: string; hour: string; verifications: number; rejected: number; first: number; last: number };
type ResultCount = { hour: string; result: string; count: number };
/** One hour's counts, by key id and by result: no string is built per verification. */
type HourCounts = { start: number; hour: string; keys: Map<string, KeyCount>; results: Map<string, ResultCount> };

const HOUR_MS = 3_600_000;

export class Replica {
  private records = new RecordStore();
  private cursor: string | null = null;
  private lastSyncAt: number | null = null;
  private snapshots = 0;
  private failures = 0;
  private needSnapshot = true;
  private closed = false;
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private usageTimer: ReturnType<typeof setInterval> | undefined;
  private hours = new Map<number, HourCounts>();
  /** The hour verifications are being counted in (the last one `hourAt` gave). */
  private hour: HourCounts | undefined;
  private readonly opts: Required<Omit<ReplicaOptions, "onError" | "hashingSecrets" | "hashingSecret" | "keyFormat">> & Pick<ReplicaOptions, "onError">;
  /** Newest first: after a rotation most records are on the newest version. */
  private readonly secrets: HashingSecret[];
  private fatal: Error | undefined;
  /** Compiled once from keyFormat: the shape and checksum check of every call. */
  private readonly isWellFormed: (candidate: string) => boolean;
  private warnedVersions = new Set<number>();

  constructor(options: ReplicaOptions) {
    if (options.hashingSecrets !== undefined && options.hashingSecret !== undefined) throw new Error("Give hashingSecrets or hashingSecret, not both.");
    if (options.hashingSecrets !== undefined) {
      const parsed =
        typeof options.hashingSecrets === "string"
          ? parseHashingSecrets(options.hashingSecrets, "hashingSecrets")
          : checkSecrets(options.hashingSecrets, Math.max(...options.hashingSecrets.map((s) => s.version)), "hashingSecrets");
      this.secrets = [...parsed.secrets].sort((a, b) => b.version - a.version);
    } else {
      if (!options.hashingSecret || options.hashingSecret.length < 32)
        throw new Error("hashingSecrets: rekey's REKEY_SECRETS (or hashingSecret: its older single REKEY_SECRET, at least 32 characters)");
      this.secrets = [{ version: 1, secret: options.hashingSecret }];
    }
    const given = options.keyFormat ?? {};
    const format: KeyFormat = {
      prefixes: { ...DEFAULT_KEY_FORMAT.prefixes, ...given.prefixes },
      randomBytes: given.randomBytes ?? DEFAULT_KEY_FORMAT.randomBytes,
      checksum: given.checksum ?? DEFAULT_KEY_FORMAT.checksum,
    };
    // A format that cannot be rekey's (the same rules as its configuration) would refuse every key as malformed: say so now.
    const problems = keyFormatProblems(format);
    if (problems.length > 0) throw new Error(`keyFormat: ${problems.map((p) => `${p.field} ${p.message}`).join("; ")}`);
    this.isWellFormed = wellFormedApiKeyCheck(format);
    const { keyFormat: _format, ...rest } = options;
    this.opts = {
      maxStalenessMs: 5 * 60_000,
      usageReportMs: 5_000,
      waitSeconds: 20,
      fetch: globalThis.fetch.bind(globalThis),
      now: Date.now,
      ...rest,
      url: options.url.replace(/\/+$/, ""),
    };
  }

  /** Loads the snapshot (retrying until it succeeds or `close()`), then follows the change stream in the background. */
  async start(): Promise<void> {
    this.running ??= this.follow();
    this.usageTimer ??= setInterval(() => void this.reportUsage(), this.opts.usageReportMs);
    this.usageTimer.unref?.();
    while (!this.closed && this.snapshots === 0 && !this.fatal) await sleep(20);
    if (this.fatal) throw this.fatal;
  }

  /** Stops following, sends the last usage counts. */
  async close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    clearInterval(this.usageTimer);
    await this.running?.catch(() => {});
    await this.reportUsage();
  }

  /**
   * The answer for a presented key at this moment: rekey's own rule
   * (rule.ts) over the replica's record, or `unavailable` before the first
   * snapshot and once the window has passed without news from rekey.
   */
  verify(presented: string): ReplicaResult {
    const now = this.opts.now();
    if (!this.isServing(now)) return { valid: false, code: "unavailable" };
    if (!this.isWellFormed(presented)) {
      this.count(null, "malformed", false, now);
      return { valid: false, code: "malformed" };
    }
    let record: VerificationRecord | null = null;
    for (const s of this.secrets) {
      record = this.records.get(createHmac("sha256", s.secret).update(presented).digest(), s.version);
      if (record) break;
    }
    const result = decide(record, now);
    this.count(record?.keyId ?? null, result.valid ? (result.deprecated ? "deprecated" : "valid") : result.code, result.valid, now);
    return result;
  }

  status(): ReplicaStatus {
    return {
      ready: this.snapshots > 0,
      serving: this.isServing(this.opts.now()),
      records: this.records.size,
      cursor: this.cursor,
      lastSyncAt: this.lastSyncAt,
      snapshots: this.snapshots,
      failures: this.failures,
      missingHashVersions: [...this.records.versions().keys()].filter((v) => !this.secrets.some((s) => s.version === v)).sort((a, b) => a - b),
    };
  }

  private isServing(now: number): boolean {
    return this.lastSyncAt !== null && now - this.lastSyncAt <= this.opts.maxStalenessMs;
  }

  private headers() {
    return { authorization: `Bearer ${this.opts.token}` };
  }

  private async follow(): Promise<void> {
    let delay = 100;
    while (!this.closed) {
      try {
        if (this.needSnapshot) await this.loadSnapshot();
        await this.pollChanges();
        delay = 100;
      } catch (error) {
        if (this.closed) return;
        this.failures++;
        this.opts.onError?.(error);
        await sleep(delay * (0.5 + Math.random() / 2));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private async loadSnapshot(): Promise<void> {
    const started = this.opts.now();
    const res = await this.opts.fetch(`${this.opts.url}/api/v1/verifier/snapshot`, { headers: this.headers(), signal: this.abort.signal });
    if (!res.ok || !res.body) throw new Error(`snapshot: HTTP ${res.status}`);
    const next = new RecordStore();
    let cursor: string | null = null;
    let ended = false;
    let received = 0;
    for await (const batch of lineBatches(res.body))
      for (const line of batch) {
        if (ended) throw new Error("snapshot: data after its end line");
        const item = JSON.parse(line);
        if (item.type === "snapshot") {
          if (item.version !== 1) throw new Error(`snapshot: unknown version ${item.version}`);
          const current: number | undefined = item.hashVersions?.current;
          if (current !== undefined && !this.secrets.some((s) => s.version === current)) {
            // Every key rekey issues or re-hashes now is on that version: this replica would refuse them all.
            this.fatal = new Error(
              `rekey hashes keys with hashing secret version ${current}, which this replica has no secret for (it has ${this.secrets.map((s) => s.version).join(", ")}): add it to hashingSecrets.`,
            );
            this.closed = true;
            throw this.fatal;
          }
          cursor = item.cursor;
        } else if (item.type === "end") {
          if (item.count !== received) throw new Error(`snapshot: ${received} records, its end line says ${item.count}`);
          ended = true;
        } else {
          if (cursor === null) throw new Error("snapshot: records before the header");
          received++;
          // A record without a keyed hash (64 hex characters) matches no presented key: not kept.
          next.set(item as VerificationRecord);
        }
      }
    // A snapshot that stops early is no snapshot: keep serving the old one.
    if (!ended || cursor === null) throw new Error("snapshot: cut off before its end line");
    this.records = next;
    this.cursor = cursor;
    this.needSnapshot = false;
    // The data is as of the moment the snapshot was asked for.
    this.lastSyncAt = started;
    this.snapshots++;
  }

  private async pollChanges(): Promise<void> {
    const asked = this.opts.now();
    const url = `${this.opts.url}/api/v1/verifier/changes?cursor=${encodeURIComponent(this.cursor!)}&wait=${this.opts.waitSeconds}`;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout((this.opts.waitSeconds + 10) * 1000)]);
    const res = await this.opts.fetch(url, { headers: this.headers(), signal });
    if (res.status === 410) {
      this.needSnapshot = true;
      return;
    }
    if (!res.ok) throw new Error(`changes: HTTP ${res.status}`);
    const body = (await res.json()) as { cursor: string; changes: { hash: string; record: VerificationRecord | null }[]; reset: boolean };
    for (const change of body.changes) {
      if (change.record) {
        const version = change.record.hashVersion ?? 1;
        if (!this.secrets.some((s) => s.version === version) && !this.warnedVersions.has(version)) {
          this.warnedVersions.add(version);
          this.opts.onError?.(
            new Error(
              `rekey now stores keys under hashing secret version ${version}, which this replica has no secret for: those keys answer "unknown" here until it is added to hashingSecrets.`,
            ),
          );
        }
        this.records.set(change.record);
      } else this.records.delete(change.hash);
    }
    this.cursor = body.cursor;
    if (body.reset) this.needSnapshot = true;
    // What rekey answered reflects it as of when it was asked (a long poll answers at once when something changes).
    this.lastSyncAt = asked;
  }

  private hourAt(now: number): HourCounts {
    const start = now - (now % HOUR_MS);
    if (this.hour?.start === start) return this.hour;
    let h = this.hours.get(start);
    if (!h) this.hours.set(start, (h = { start, hour: new Date(start).toISOString(), keys: new Map(), results: new Map() }));
    return (this.hour = h);
  }

  private count(keyId: string | null, result: string, accepted: boolean, now: number) {
    const h = this.hourAt(now);
    const r = h.results.get(result);
    if (r) r.count++;
    else h.results.set(result, { hour: h.hour, result, count: 1 });
    if (!keyId) return;
    let k = h.keys.get(keyId);
    if (!k) h.keys.set(keyId, (k = { keyId, hour: h.hour, verifications: 0, rejected: 0, first: Infinity, last: 0 }));
    if (accepted) {
      k.verifications++;
      if (now < k.first) k.first = now;
      if (now > k.last) k.last = now;
    } else k.rejected++;
  }

  /** Sends the counts gathered since the last report; kept for the next one if rekey cannot take them. */
  private async reportUsage(): Promise<void> {
    if (this.hours.size === 0) return;
    const hours = [...this.hours.values()];
    this.hours = new Map();
    this.hour = undefined;
    const keys = hours.flatMap((h) => [...h.keys.values()]);
    const results = hours.flatMap((h) => [...h.results.values()]);
    const body = {
      keys: keys.map((k) => ({
        keyId: k.keyId,
        hour: k.hour,
        verifications: k.verifications,
        rejected: k.rejected,
        ...(k.verifications > 0 ? { firstUsedAt: new Date(k.first).toISOString(), lastUsedAt: new Date(k.last).toISOString() } : {}),
      })),
      results,
    };
    try {
      const res = await this.opts.fetch(`${this.opts.url}/api/v1/verifier/usage`, {
        method: "POST",
        headers: { ...this.headers(), "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`usage: HTTP ${res.status}`);
    } catch (error) {
      this.opts.onError?.(error);
      for (const k of keys) {
        const h = this.hourAt(Date.parse(k.hour));
        const cur = h.keys.get(k.keyId);
        if (!cur) h.keys.set(k.keyId, k);
        else {
          cur.verifications += k.verifications;
          cur.rejected += k.rejected;
          cur.first = Math.min(cur.first, k.first);
          cur.last = Math.max(cur.last, k.last);
        }
      }
      for (const r of results) {
        const h = this.hourAt(Date.parse(r.hour));
        const cur = h.results.get(r.result);
        if (cur) cur.count += r.count;
        else h.results.set(r.result, r);
      }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The lines of a byte stream (NDJSON), a chunk's worth at a time (one await
 * per chunk, not per line: a million-record snapshot is a million lines),
 * without holding more than one chunk and a partial line.
 */
async function* lineBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    rest += decoder.decode(chunk, { stream: true });
    const batch: string[] = [];
    let at: number;
    let from = 0;
    while ((at = rest.indexOf("\n", from)) >= 0) {
      if (at > from) batch.push(rest.slice(from, at));
      from = at + 1;
    }
    rest = rest.slice(from);
    if (batch.length > 0) yield batch;
  }
  rest += decoder.decode();
  if (rest.trim()) yield [rest];
}
