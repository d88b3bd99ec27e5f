/**
 * The audit hash chain, pure: each event's hash is SHA-256 over its canonical
 * JSON (RFC 8785, via `canonicalize`) including the previous event's hash, so
 * an edited or deleted event breaks every link after it.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

export const GENESIS_HASH = "0".repeat(64);

/** The hashed content of an event, in the form it is stored and read back. */
export interface ChainedEventContent {
  at: Date;
  actor: string;
  action: string;
  organizationId: string | null;
  keyId: string | null;
  keyFingerprint: string | null;
  rotationId: string | null;
  reason: string | null;
  outcome: string;
  before: unknown;
  after: unknown;
  prevHash: string;
}

/** The hash of an event's content and its predecessor's hash. */
export function hashAuditEvent(event: ChainedEventContent): string {
  const text = canonicalize(hashedFields(event));
  return createHash("sha256")
    .update(text ?? "")
    .digest("hex");
}

/**
 * Exactly what the hash covers, as plain JSON values (the time as ISO 8601):
 * the exports write these fields, so a file can be re-hashed without the database.
 */
export function hashedFields(event: ChainedEventContent) {
  return {
    at: event.at.toISOString(),
    actor: event.actor,
    action: event.action,
    organizationId: event.organizationId,
    keyId: event.keyId,
    keyFingerprint: event.keyFingerprint,
    rotationId: event.rotationId,
    reason: event.reason,
    outcome: event.outcome,
    before: event.before ?? null,
    after: event.after ?? null,
    prevHash: event.prevHash,
  };
}
