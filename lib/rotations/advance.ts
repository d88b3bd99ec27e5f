import "server-only";
import { inTransaction, type Tx } from "../db";
import { SYSTEM_CRON, type Actor } from "../auth/actor";
import { appendAuditEvents, type AuditInput } from "../audit/write";
import { enqueueNotifications, type NotificationInput } from "../notifications/outbox";

export interface AdvanceResult {
  /** Scheduled rotations that entered grace. */
  started: number;
  /** Rotations whose grace ended, old key revoked. */
  completed: number;
}

interface MovedRow {
  rotationId: string;
  keyId: string;
  kind: string;
  prefix: string;
  environment: string;
  organizationId: string;
  graceEndsAt: Date;
}

/** Rows moved per transaction: bounds the lock time and the size of one statement. */
const BATCH = 5_000;

/**
 * Moves every rotation that is due at `now` on: scheduled → grace (old key
 * `expiring`), then grace → completed (old key `revoked`). Set-based: each
 * batch is a few statements whatever its size, with its audit events and
 * notifications in the same transaction. Rows another caller holds are
 * skipped (SKIP LOCKED), so concurrent calls never move a rotation twice.
 */
export async function advanceRotations(now: Date, actor: Actor = SYSTEM_CRON): Promise<AdvanceResult> {
  const result: AdvanceResult = { started: 0, completed: 0 };
  for (;;) {
    const moved = await runBatch(now, actor, startDueRotations, "rotation.started", "rotation_started");
    result.started += moved;
    if (moved < BATCH) break;
  }
  for (;;) {
    const moved = await runBatch(now, actor, completeDueRotations, "rotation.completed", "key_revoked");
    result.completed += moved;
    if (moved < BATCH) break;
  }
  return result;
}

async function runBatch(
  now: Date,
  actor: Actor,
  move: (tx: Tx, now: Date) => Promise<MovedRow[]>,
  action: string,
  notification: NotificationInput["kind"],
): Promise<number> {
  return inTransaction(async (tx) => {
    const rows = await move(tx, now);
    if (rows.length === 0) return 0;
    const started = action === "rotation.started";
    const events: AuditInput[] = rows.map((row) => ({
      actor,
      action,
      organizationId: row.organizationId,
      keyId: row.keyId,
      keyFingerprint: row.prefix,
      rotationId: row.rotationId,
      before: started ? { state: "scheduled", keyStatus: "active" } : { state: "grace", keyStatus: "expiring" },
      after: started ? { state: "grace", keyStatus: "expiring", graceEndsAt: row.graceEndsAt } : { state: "completed", keyStatus: "revoked" },
    }));
    await appendAuditEvents(tx, events, now);
    const orgs = await tx.organization.findMany({
      where: { id: { in: [...new Set(rows.map((r) => r.organizationId))] } },
      select: { id: true, name: true, contactEmails: true, timeZone: true },
    });
    const byId = new Map(orgs.map((o) => [o.id, o]));
    await enqueueNotifications(
      tx,
      rows.map((row) => {
        const org = byId.get(row.organizationId)!;
        return {
          kind: notification,
          organizationId: row.organizationId,
          recipients: org.contactEmails,
          keyId: row.keyId,
          rotationId: row.rotationId,
          eventRef: row.rotationId,
          payload: { keyPrefix: row.prefix, environment: row.environment, organizationName: org.name, timeZone: org.timeZone, kind: row.kind, graceEndsAt: row.graceEndsAt.toISOString() },
        };
      }),
      now,
    );
    return rows.length;
  });
}

// The key update returns the rotation's columns itself (UPDATE … FROM …
// RETURNING may name the FROM table): joining two CTEs afterwards made the
// planner loop over one for each row of the other, quadratic in the batch.

/** scheduled → grace for rotations due at `now` whose key is still active. */
function startDueRotations(tx: Tx, now: Date): Promise<MovedRow[]> {
  return tx.$queryRaw<MovedRow[]>`
    WITH due AS (
      SELECT r.id FROM rotations r JOIN api_keys k ON k.id = r."keyId"
      WHERE r.state = 'scheduled' AND r."scheduledAt" <= ${now} AND k.status = 'active'
      ORDER BY r."scheduledAt"
      LIMIT ${BATCH}
      FOR UPDATE OF r SKIP LOCKED
    ), started AS (
      UPDATE rotations r
      SET state = 'grace', "startedAt" = ${now}, "updatedAt" = ${now},
          "graceEndsAt" = GREATEST(r."scheduledAt" + make_interval(hours => r."gracePeriodHours"), ${now}::timestamptz)
      FROM due WHERE r.id = due.id
      RETURNING r.id, r."keyId", r.kind, r."graceEndsAt"
    )
    UPDATE api_keys k SET status = 'expiring'
    FROM started s WHERE k.id = s."keyId"
    RETURNING s.id AS "rotationId", s."keyId", s.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", s."graceEndsAt"`;
}

/** grace → completed for rotations whose deadline has passed at `now`; the old key is revoked. */
function completeDueRotations(tx: Tx, now: Date): Promise<MovedRow[]> {
  return tx.$queryRaw<MovedRow[]>`
    WITH due AS (
      SELECT r.id FROM rotations r
      WHERE r.state = 'grace' AND r."graceEndsAt" <= ${now}
      ORDER BY r."graceEndsAt"
      LIMIT ${BATCH}
      FOR UPDATE SKIP LOCKED
    ), done AS (
      UPDATE rotations r
      SET state = 'completed', "completedAt" = ${now}, "openKeyId" = NULL, "updatedAt" = ${now}
      FROM due WHERE r.id = due.id
      RETURNING r.id, r."keyId", r.kind, r."graceEndsAt"
    )
    UPDATE api_keys k SET status = 'revoked', "revokedAt" = ${now}
    FROM done d WHERE k.id = d."keyId"
    RETURNING d.id AS "rotationId", d."keyId", d.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", d."graceEndsAt"`;
}
