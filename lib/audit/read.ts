import "server-only";
import type { Db } from "../db";
import type { ChainedEventContent } from "./chain";

/** An event as stored: its hashed content, its place in the chain and its hash. */
export interface StoredAuditEvent extends ChainedEventContent {
  seq: bigint;
  hash: string;
}

/**
 * The next `limit` events after `afterSeq` (up to `lastSeq`), oldest first: one
 * raw keyset query on the primary key. Used by the chain check and the
 * exports, which read millions of events; a raw query costs about a third of
 * the equivalent findMany.
 */
export async function readAuditBatch(prisma: Db, afterSeq: bigint, lastSeq: bigint | null, limit: number): Promise<StoredAuditEvent[]> {
  // Only the lower bound goes to PostgreSQL; the upper one is applied here. With both as parameters
  // ("seq > $1 AND seq <= $2") the server's generic plan for the prepared statement was three times slower.
  const rows = await prisma.$queryRawUnsafe<(Omit<StoredAuditEvent, "seq"> & { seq: string })[]>(
    `SELECT e.seq::text AS seq, at, actor, action, "organizationId", "keyId", "keyFingerprint", "rotationId", reason, outcome, before, after, "prevHash", hash
     FROM audit_events e WHERE e.seq > $1::bigint ORDER BY e.seq LIMIT ${Math.floor(limit)}`,
    afterSeq.toString(),
  );
  const events = rows.map((r) => ({ ...r, seq: BigInt(r.seq), at: r.at instanceof Date ? r.at : new Date(r.at) }));
  return lastSeq === null ? events : events.filter((e) => e.seq <= lastSeq);
}
