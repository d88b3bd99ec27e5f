import "server-only";
import type { Tx } from "../db";
import { bulkInsert } from "../bulk";
import type { Actor } from "../auth/actor";
import { GENESIS_HASH, hashAuditEvent } from "./chain";

export interface AuditInput {
  actor: Actor;
  action: string;
  organizationId?: string | null;
  keyId?: string | null;
  /** The key's display prefix; never the key. */
  keyFingerprint?: string | null;
  rotationId?: string | null;
  reason?: string | null;
  outcome?: "success" | "failure" | "denied";
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** When it happened, if not `now`: only for history written after the fact (the demo world). */
  at?: Date;
}

// Arbitrary constant naming the advisory lock that orders appends to the chain.
const AUDIT_CHAIN_LOCK = 7_215_001;
const FULL_SECRET = /rkm?_(?:live|test|mgmt)_[0-9A-Za-z]{49}/;

/** True for text that holds something shaped like a full key or token: what no record leaving a request may carry. */
export function looksLikeFullKey(text: string): boolean {
  return FULL_SECRET.test(text);
}

const AUDIT_COLUMNS = {
  at: "timestamptz",
  actor: "text",
  action: "text",
  organizationId: "text",
  keyId: "text",
  keyFingerprint: "text",
  rotationId: "text",
  reason: "text",
  outcome: "text",
  before: "jsonb",
  after: "jsonb",
  prevHash: "text",
  hash: "text",
} as const;

/** JSON as PostgreSQL's jsonb will hand it back, so the hash is over what is stored. */
function asStoredJson(value: Record<string, unknown> | null | undefined): unknown {
  return value == null ? null : JSON.parse(JSON.stringify(value));
}

/**
 * Appends events to the audit chain inside the caller's transaction, so they
 * commit with the change they record or not at all. Takes the chain's lock:
 * call it last in a transaction, after every row lock, so the lock is held
 * briefly and in one order. Refuses anything that looks like a full key.
 */
export async function appendAuditEvents(tx: Tx, events: AuditInput[], now: Date): Promise<void> {
  if (events.length === 0) return;
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`);
  const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows = events.map((event) => {
    const content = {
      at: event.at ?? now,
      actor: event.actor,
      action: event.action,
      organizationId: event.organizationId ?? null,
      keyId: event.keyId ?? null,
      keyFingerprint: event.keyFingerprint ?? null,
      rotationId: event.rotationId ?? null,
      reason: event.reason ?? null,
      outcome: event.outcome ?? "success",
      before: asStoredJson(event.before),
      after: asStoredJson(event.after),
      prevHash,
    };
    if (looksLikeFullKey(JSON.stringify(content))) {
      throw new Error("refusing to write a full key to the audit trail");
    }
    const hash = hashAuditEvent(content);
    prevHash = hash;
    return { ...content, hash };
  });
  await bulkInsert(tx, "audit_events", AUDIT_COLUMNS, rows);
}

/** Appends one event; see appendAuditEvents. */
export function appendAuditEvent(tx: Tx, event: AuditInput, now: Date): Promise<void> {
  return appendAuditEvents(tx, [event], now);
}
