/**
 * The verification rule: what a key's record answers at a moment. The one
 * implementation, used by rekey's own verify endpoint and by the in-process
 * replica; the cron applies the same rule in SQL (lib/rotations/advance.ts),
 * and tests hold the two to agreement. Pure: no clock, no I/O.
 *
 * The protocol (docs/verifier-protocol.md) defines every field below.
 */

export type KeyStatus = "active" | "expiring" | "revoked" | "expired";
export type RotationKind = "scheduled" | "manual" | "emergency";

/** What the verifier knows of one key: never the key itself, only its keyed hash. */
export interface VerificationRecord {
  /** HMAC-SHA-256 of the full key under the hashing secret, lower-case hex. */
  hash: string;
  /** The version of rekey's hashing secret `hash` was made with (secrets.ts); absent from older servers: 1. */
  hashVersion?: number;
  keyId: string;
  organizationId: string;
  environment: "live" | "test";
  scopes: string[];
  rateLimit: number;
  status: KeyStatus;
  /** ISO 8601; the key is refused from this instant on. */
  expiresAt: string | null;
  /** The key's open rotation (scheduled or in grace), if any. */
  rotation: RotationRecord | null;
  /** The API company's own id for the key, and its metadata object; absent from older servers: null and {}. */
  externalId?: string | null;
  metadata?: Record<string, unknown>;
  /** The same of the key's organization, so the company's API knows its customer from the answer alone. */
  organizationExternalId?: string | null;
  organizationMetadata?: Record<string, unknown>;
}

export interface RotationRecord {
  state: "scheduled" | "grace";
  kind: RotationKind;
  scheduledAt: string;
  startedAt: string | null;
  /** The deadline as the database holds it (null until the rotation starts). */
  graceEndsAt: string | null;
  gracePeriodHours: number;
  /** The once-only extension has been applied (graceEndsAt is already the extended deadline). */
  deadlineExtended: boolean;
  /** The organization's effective policy waits for the successor's first use before revoking. */
  waitForSuccessorUse: boolean;
  successorPrefix: string | null;
  /** When the successor first verified successfully; null if never (or not minted yet). */
  successorFirstUsedAt: string | null;
}

export type InvalidCode = "malformed" | "unknown" | "revoked" | "expired";

export type VerifyResult =
  | {
      valid: true;
      keyId: string;
      organizationId: string;
      environment: "live" | "test";
      scopes: string[];
      rateLimit: number;
      externalId: string | null;
      metadata: Record<string, unknown>;
      organizationExternalId: string | null;
      organizationMetadata: Record<string, unknown>;
      deprecated: boolean;
      /** Only for an old key in grace: when its rotation started, when it stops working, and its successor's prefix (null until minted). */
      deprecatedAt?: string;
      graceEndsAt?: string;
      successorPrefix?: string | null;
    }
  | { valid: false; code: InvalidCode };

const HOUR_MS = 3_600_000;

/**
 * When an open rotation's old key stops working, or null while the rotation
 * has not started (by its scheduled time) at `now`. The rule of DOMAIN.md
 * ("Grace deadline"): a rotation's grace starts at its scheduled time (the
 * cron only records that it did) and ends `gracePeriodHours` later; at that
 * deadline, when policy waits for the successor's first use, the rotation is
 * not an emergency, the deadline was not extended yet and the successor was
 * not used before it, the deadline moves once by another grace period (at
 * least an hour). So a late or stopped cron never lengthens a key's life.
 */
export function effectiveDeadline(rotation: RotationRecord, now: number): { startedAt: number; deadline: number } | null {
  const scheduledAt = Date.parse(rotation.scheduledAt);
  if (rotation.state === "scheduled" && scheduledAt > now) return null;
  const startedAt = rotation.startedAt ? Date.parse(rotation.startedAt) : scheduledAt;
  const base = rotation.state === "grace" && rotation.graceEndsAt ? Date.parse(rotation.graceEndsAt) : scheduledAt + rotation.gracePeriodHours * HOUR_MS;
  // Until the deadline, it is the deadline: the successor may yet be used.
  if (now < base || !waitsForSuccessor(rotation, base)) return { startedAt, deadline: base };
  return { startedAt, deadline: base + Math.max(rotation.gracePeriodHours, 1) * HOUR_MS };
}

function waitsForSuccessor(rotation: RotationRecord, deadline: number): boolean {
  if (rotation.kind === "emergency" || rotation.deadlineExtended || !rotation.waitForSuccessorUse) return false;
  return !(rotation.successorFirstUsedAt && Date.parse(rotation.successorFirstUsedAt) < deadline);
}

/** The answer for a key whose record is `record` (null: no such key), at `now` (ms since the epoch). */
export function decide(record: VerificationRecord | null, now: number): VerifyResult {
  if (!record) return { valid: false, code: "unknown" };
  if (record.status === "revoked") return { valid: false, code: "revoked" };
  if (record.status === "expired" || (record.expiresAt && Date.parse(record.expiresAt) <= now)) return { valid: false, code: "expired" };
  // One object per answer (the in-process verifier answers in microseconds: no spread copies).
  const rotation = record.rotation;
  // A scheduled rotation of a key that is no longer active fails in the cron; it never starts.
  const open = rotation && (rotation.state === "grace" || record.status === "active") ? effectiveDeadline(rotation, now) : null;
  if (open && open.deadline <= now) return { valid: false, code: "revoked" };
  const answer: VerifyResult = {
    valid: true,
    keyId: record.keyId,
    organizationId: record.organizationId,
    environment: record.environment,
    scopes: record.scopes,
    rateLimit: record.rateLimit,
    externalId: record.externalId ?? null,
    metadata: record.metadata ?? {},
    organizationExternalId: record.organizationExternalId ?? null,
    organizationMetadata: record.organizationMetadata ?? {},
    deprecated: open !== null,
  };
  if (open) {
    answer.deprecatedAt = new Date(open.startedAt).toISOString();
    answer.graceEndsAt = new Date(open.deadline).toISOString();
    answer.successorPrefix = rotation!.successorPrefix;
  }
  return answer;
}
