/**
 * The replica's records in little memory: a million keys must fit in a few
 * hundred megabytes of someone else's API server. Columns instead of one
 * object per key: the keyed hash (as 32 raw bytes in a one-byte string) maps
 * to a slot; ids, environment, status, scopes and rate limit are columns,
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

/** The map key for a hex hash: its 32 bytes as a latin1 string (what `digest("binary")` gives). */
export function hashKey(hex: string): string {
  return Buffer.from(hex, "hex").toString("latin1");
}

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
  private slots = new Map<string, number>();
  private free: number[] = [];
  private capacity = 0;
  private keyIds: string[] = [];
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
    return this.slots.size;
  }

  /** Adds or replaces the record under its hash. */
  set(record: VerificationRecord): void {
    const key = hashKey(record.hash);
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.keyIds.length;
      if (slot >= this.capacity) this.grow();
      this.slots.set(key, slot);
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
  }

  delete(hashHex: string): void {
    const key = hashKey(hashHex);
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.expiresAt.delete(slot);
    this.rotations.delete(slot);
    this.identities.delete(slot);
    this.keyIds[slot] = "";
    this.free.push(slot);
  }

  /** The record whose hash is these 32 bytes (latin1), made with this hashing secret version, or null. */
  get(key: string, version = 1): VerificationRecord | null {
    const slot = this.slots.get(key);
    if (slot === undefined || this.hashVersion[slot] !== version) return null;
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
    for (const slot of this.slots.values()) counts.set(this.hashVersion[slot], (counts.get(this.hashVersion[slot]) ?? 0) + 1);
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
    this.capacity = capacity;
  }
}
