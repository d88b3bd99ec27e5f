/**
 * The replica's records in little memory: a million keys must fit in a few
 * hundred megabytes of someone else's API server. Columns instead of one
 * object per key: the keyed hashes are 32 raw bytes each in one buffer,
 * found through an open-addressing table of slot numbers indexed by the
 * hash's first four bytes (an HMAC is uniform: no further hashing needed),
 * so loading a million records allocates no string or map entry per hash;
 * ids, environment, status, scopes and rate limit are columns,
 * repeated values (organizations, scope lists) are stored once; the rare
 * parts (an expiry, an open rotation, a key's external id and metadata) live
 * in side maps; an organization's external id and metadata are kept once per
 * organization (every record of it carries the same: a change to them is
 * announced for each of its keys). `get` rebuilds the
 * record that the rule reads.
 */
import type { KeyStatus, RotationRecord, VerificationRecord } from "./rule.js";

const STATUSES: KeyStatus[] = ["active", "expiring", "revoked", "expired"];
const ENVIRONMENTS = ["live", "test"] as const;

const HASH_BYTES = 32;
/** Table cells: a slot number, or one of these. */
const EMPTY = -1;
const DELETED = -2;

interface Identity {
  externalId: string | null;
  metadata: Record<string, unknown>;
}
const NO_IDENTITY: Identity = Object.freeze({ externalId: null, metadata: Object.freeze({}) as Record<string, unknown> });
function isEmpty(object: Record<string, unknown>): boolean {
  for (const _ in object) return false;
  return true;
}
const identityOf = (externalId: string | null | undefined, metadata: Record<string, unknown> | undefined): Identity | null =>
  externalId || (metadata && !isEmpty(metadata)) ? { externalId: externalId ?? null, metadata: metadata ?? {} } : null;

class Interned<T> {
  private readonly index = new Map<string, number>();
  readonly values: T[] = [];
  id(key: string, value: T): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(key, i);
    }
    return i;
  }
}

export class RecordStore {
  /** Open addressing, linear probing: slot numbers at the cell a hash's first 4 bytes pick; a power of two long. */
  private table = new Int32Array(2048).fill(EMPTY);
  private used = 0;
  private tombstones = 0;
  /** Each slot's hash, 32 bytes at slot × 32. */
  private hashes = Buffer.alloc(0);
  private readonly scratch = Buffer.alloc(HASH_BYTES);
  private free: number[] = [];
  private capacity = 0;
  private slotCount = 0;
  private keyIds: string[] = [];
  private live = new Uint8Array(0);
  private org = new Uint32Array(0);
  private scopes = new Uint32Array(0);
  private rateLimit = new Int32Array(0);
  /** The hashing secret version each slot's hash was made with. */
  private hashVersion = new Uint16Array(0);
  /** status index × 2 + environment index. */
  private kind = new Uint8Array(0);
  private expiresAt = new Map<number, string>();
  private rotations = new Map<number, RotationRecord>();
  private identities = new Map<number, Identity>();
  private orgIdentities = new Map<number, Identity>();
  private readonly orgs = new Interned<string>();
  private readonly scopeLists = new Interned<string[]>();

  get size(): number {
    return this.used;
  }

  /** The table cell holding the 32 bytes of `hash` from `at`, or -1 - the first free cell to put them in. */
  private find(hash: Uint8Array, at = 0): number {
    const mask = this.table.length - 1;
    let i = (hash[at] | (hash[at + 1] << 8) | (hash[at + 2] << 16) | (hash[at + 3] << 24)) & mask;
    let firstDeleted = -1;
    for (;;) {
      const slot = this.table[i];
      if (slot === EMPTY) return -1 - (firstDeleted >= 0 ? firstDeleted : i);
      if (slot === DELETED) {
        if (firstDeleted < 0) firstDeleted = i;
      } else if (this.sameHash(slot, hash, at)) return i;
      i = (i + 1) & mask;
    }
  }

  private sameHash(slot: number, hash: Uint8Array, at: number): boolean {
    const h = this.hashes;
    const from = slot * HASH_BYTES;
    for (let k = 0; k < HASH_BYTES; k++) if (h[from + k] !== hash[at + k]) return false;
    return true;
  }

  /** The slot of the record under these 32 bytes, or -1. */
  private slotOf(hash: Uint8Array): number {
    const cell = this.find(hash);
    return cell >= 0 ? this.table[cell] : -1;
  }

  /** Twice the table when it is half full (tombstones included), dropping the tombstones. */
  private rehashIfFull(): void {
    if ((this.used + this.tombstones + 1) * 2 <= this.table.length) return;
    const size = this.used * 4 > this.table.length ? this.table.length * 2 : this.table.length;
    const old = this.table;
    this.table = new Int32Array(size).fill(EMPTY);
    this.tombstones = 0;
    for (let i = 0; i < old.length; i++) {
      const slot = old[i];
      if (slot < 0) continue;
      const cell = this.find(this.hashes, slot * HASH_BYTES);
      this.table[-1 - cell] = slot;
    }
  }

  /** Adds or replaces the record under its hash; false (and nothing kept) when its hash is not 64 hex characters. */
  set(record: VerificationRecord): boolean {
    const hash = this.scratch;
    if (typeof record.hash !== "string" || record.hash.length !== 2 * HASH_BYTES || hash.write(record.hash, 0, HASH_BYTES, "hex") !== HASH_BYTES) return false;
    this.rehashIfFull();
    const cell = this.find(hash);
    let slot: number;
    if (cell >= 0) slot = this.table[cell];
    else {
      slot = this.free.pop() ?? this.slotCount++;
      if (slot >= this.capacity) this.grow();
      hash.copy(this.hashes, slot * HASH_BYTES);
      if (this.table[-1 - cell] === DELETED) this.tombstones--;
      this.table[-1 - cell] = slot;
      this.used++;
      this.live[slot] = 1;
    }
    this.keyIds[slot] = record.keyId;
    this.org[slot] = this.orgs.id(record.organizationId, record.organizationId);
    this.scopes[slot] = this.scopeLists.id(record.scopes.join("\n"), record.scopes);
    this.rateLimit[slot] = record.rateLimit;
    this.hashVersion[slot] = record.hashVersion ?? 1;
    this.kind[slot] = STATUSES.indexOf(record.status) * 2 + (record.environment === "test" ? 1 : 0);
    if (record.expiresAt) this.expiresAt.set(slot, record.expiresAt);
    else this.expiresAt.delete(slot);
    if (record.rotation) this.rotations.set(slot, record.rotation);
    else this.rotations.delete(slot);
    const own = identityOf(record.externalId, record.metadata);
    if (own) this.identities.set(slot, own);
    else this.identities.delete(slot);
    const org = identityOf(record.organizationExternalId, record.organizationMetadata);
    if (org) this.orgIdentities.set(this.org[slot], org);
    else this.orgIdentities.delete(this.org[slot]);
    return true;
  }

  delete(hashHex: string): void {
    if (typeof hashHex !== "string" || hashHex.length !== 2 * HASH_BYTES || this.scratch.write(hashHex, 0, HASH_BYTES, "hex") !== HASH_BYTES) return;
    const cell = this.find(this.scratch);
    if (cell < 0) return;
    const slot = this.table[cell];
    this.table[cell] = DELETED;
    this.tombstones++;
    this.used--;
    this.live[slot] = 0;
    this.expiresAt.delete(slot);
    this.rotations.delete(slot);
    this.identities.delete(slot);
    this.keyIds[slot] = "";
    this.free.push(slot);
  }

  /** The record whose hash is these 32 bytes (an HMAC digest), made with this hashing secret version, or null. */
  get(hash: Uint8Array, version = 1): VerificationRecord | null {
    if (hash.length !== HASH_BYTES) return null;
    const slot = this.slotOf(hash);
    if (slot < 0 || this.hashVersion[slot] !== version) return null;
    const kind = this.kind[slot];
    const own = this.identities.get(slot) ?? NO_IDENTITY;
    const org = this.orgIdentities.get(this.org[slot]) ?? NO_IDENTITY;
    return {
      hash: "",
      hashVersion: version,
      keyId: this.keyIds[slot],
      organizationId: this.orgs.values[this.org[slot]],
      environment: ENVIRONMENTS[kind & 1],
      scopes: this.scopeLists.values[this.scopes[slot]],
      rateLimit: this.rateLimit[slot],
      status: STATUSES[kind >> 1],
      expiresAt: this.expiresAt.get(slot) ?? null,
      rotation: this.rotations.get(slot) ?? null,
      externalId: own.externalId,
      metadata: own.metadata,
      organizationExternalId: org.externalId,
      organizationMetadata: org.metadata,
    };
  }

  /** The hashing secret versions the records use, with how many records each. */
  versions(): Map<number, number> {
    const counts = new Map<number, number>();
    for (let slot = 0; slot < this.slotCount; slot++) if (this.live[slot]) counts.set(this.hashVersion[slot], (counts.get(this.hashVersion[slot]) ?? 0) + 1);
    return counts;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const widen = <T extends Uint32Array | Int32Array | Uint8Array | Uint16Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.org = widen(this.org, (n) => new Uint32Array(n));
    this.scopes = widen(this.scopes, (n) => new Uint32Array(n));
    this.rateLimit = widen(this.rateLimit, (n) => new Int32Array(n));
    this.kind = widen(this.kind, (n) => new Uint8Array(n));
    this.hashVersion = widen(this.hashVersion, (n) => new Uint16Array(n));
    this.live = widen(this.live, (n) => new Uint8Array(n));
    const hashes = Buffer.alloc(capacity * HASH_BYTES);
    this.hashes.copy(hashes);
    this.hashes = hashes;
    this.capacity = capacity;
  }
}
