import "server-only";
import { inTransaction, Prisma, type Tx } from "../db";
import { SYSTEM_CRON, type Actor } from "../auth/actor";
import type { NotificationKind } from "../notifications/outbox";
import { recordEvents, type LifecycleEvent } from "./events";
import { EFFECTIVE_POLICY_SQL } from "../policies/sql";

export interface AdvanceResult {
  /** Scheduled rotations that entered grace. */
  started: number;
  /** Deadlines moved once because policy waits for the successor's first use and it had none. */
  extended: number;
  /** Graces ended early: the agent's delivery confirmed and the new key in use (policy endGraceOnConfirmedUse). */
  endedEarly: number;
  /** Rotations whose grace ended, old key revoked. */
  completed: number;
  /** Due rotations that could not start (their key was no longer active). */
  failed: number;
}

interface MovedRow {
  rotationId: string;
  keyId: string;
  kind: string;
  prefix: string;
  environment: string;
  organizationId: string;
  scheduledAt: Date;
  graceEndsAt: Date;
  reason: string | null;
  keyStatus?: string;
}

/** Rows moved per transaction: bounds the lock time and the size of one statement. */
const BATCH = 5_000;

type Step = {
  move: (tx: Tx, now: Date) => Promise<MovedRow[]>;
  /** Audit events, notifications and alerts of the moved rows, in the same transaction. */
  record: (tx: Tx, rows: MovedRow[], now: Date, actor: Actor) => Promise<void>;
};

/**
 * Moves every rotation that is due at `now` on: scheduled → grace (old key
 * `expiring`); a due scheduled rotation whose key is no longer active →
 * failed, with an alert; at the deadline, when policy waits for the
 * successor's first use and it has none, the deadline is extended once with
 * an alert; otherwise grace → completed (old key `revoked`). Set-based: each
 * batch is a few statements whatever its size, with its audit events and
 * notifications in the same transaction. Rows another caller holds are
 * skipped (SKIP LOCKED), so concurrent calls never move a rotation twice.
 */
export async function advanceRotations(now: Date, actor: Actor = SYSTEM_CRON): Promise<AdvanceResult> {
  const result: AdvanceResult = { started: 0, extended: 0, endedEarly: 0, completed: 0, failed: 0 };
  result.failed = await drain(now, actor, { move: failUnstartable, record: recordFailed });
  result.started = await drain(now, actor, { move: startDueRotations, record: recordMoved("rotation.started", "rotation_started") });
  result.extended = await drain(now, actor, { move: extendUnusedSuccessors, record: recordExtended });
  // Before completion, so a grace the agent's confirmed delivery ends is completed in the same call.
  result.endedEarly = await drain(now, actor, { move: endConfirmedGraces, record: recordEndedEarly });
  result.completed = await drain(now, actor, { move: completeDueRotations, record: recordMoved("rotation.completed", "key_revoked") });
  return result;
}

async function drain(now: Date, actor: Actor, step: Step): Promise<number> {
  let total = 0;
  for (;;) {
    const moved = await inTransaction(async (tx) => {
      const rows = await step.move(tx, now);
      if (rows.length) await step.record(tx, rows, now, actor);
      return rows.length;
    });
    total += moved;
    if (moved < BATCH) return total;
  }
}

function base(row: MovedRow, actor: Actor) {
  return { actor, key: { id: row.keyId, prefix: row.prefix, organizationId: row.organizationId, environment: row.environment }, rotationId: row.rotationId };
}

function recordMoved(type: "rotation.started" | "rotation.completed", email: NotificationKind): Step["record"] {
  const started = type === "rotation.started";
  return (tx, rows, now, actor) =>
    recordEvents(
      tx,
      rows.map(
        (row): LifecycleEvent => ({
          ...base(row, actor),
          type,
          before: started ? { state: "scheduled", keyStatus: "active" } : { state: "grace", keyStatus: "expiring" },
          after: started ? { state: "grace", keyStatus: "expiring", graceEndsAt: row.graceEndsAt } : { state: "completed", keyStatus: "revoked" },
          email: { kind: email, rotationKind: row.kind, scheduledAt: row.scheduledAt, graceEndsAt: row.graceEndsAt, reason: row.reason },
        }),
      ),
      now,
    );
}

function recordFailed(tx: Tx, rows: MovedRow[], now: Date, actor: Actor) {
  return recordEvents(
    tx,
    rows.map(
      (row): LifecycleEvent => ({
        ...base(row, actor),
        type: "rotation.failed",
        reason: `key is ${row.keyStatus}`,
        before: { state: "scheduled" },
        after: { state: "failed" },
        alert: {
          kind: "rotation_failed",
          severity: "critical",
          message: `Scheduled rotation of ${row.prefix}… could not start: the key is ${row.keyStatus}.`,
          dedupeKey: `rotation_failed:${row.rotationId}`,
        },
      }),
    ),
    now,
  );
}

function recordExtended(tx: Tx, rows: MovedRow[], now: Date, actor: Actor) {
  return recordEvents(
    tx,
    rows.map(
      (row): LifecycleEvent => ({
        ...base(row, actor),
        type: "rotation.extended",
        reason: "successor never used; policy waits for its first use",
        before: { state: "grace" },
        after: { state: "grace", graceEndsAt: row.graceEndsAt, deadlineExtended: true },
        alert: {
          kind: "deadline_extended",
          severity: "warning",
          message: `The successor of ${row.prefix}… was never used, so its deadline was extended once, to ${row.graceEndsAt.toISOString()}. Contact the customer.`,
          dedupeKey: `deadline_extended:${row.rotationId}`,
        },
      }),
    ),
    now,
  );
}

// The key update returns the rotation's columns itself (UPDATE … FROM …
// RETURNING may name the FROM table): joining two CTEs afterwards made the
// planner loop over one for each row of the other, quadratic in the batch.

/**
 * scheduled → grace for rotations due at `now` whose key is still active.
 * Grace began at the scheduled time whenever the cron gets to it (verification
 * already treats the key so), so that is when it is recorded to have started.
 */
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
      SET state = 'grace', "startedAt" = r."scheduledAt", "updatedAt" = ${now},
          "graceEndsAt" = r."scheduledAt" + make_interval(hours => r."gracePeriodHours")
      FROM due WHERE r.id = due.id
      RETURNING r.id, r."keyId", r.kind, r."scheduledAt", r."graceEndsAt", r.reason
    )
    UPDATE api_keys k SET status = 'expiring'
    FROM started s WHERE k.id = s."keyId"
    RETURNING s.id AS "rotationId", s."keyId", s.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", s."scheduledAt", s."graceEndsAt", s.reason`;
}

/** grace → completed for rotations whose deadline has passed at `now`; the old key is revoked. */
function completeDueRotations(tx: Tx, now: Date): Promise<MovedRow[]> {
  return tx.$queryRaw<MovedRow[]>`
    WITH due AS (
      SELECT r.id FROM rotations r
      WHERE r.state = 'grace' AND r."graceEndsAt" <= ${now} AND NOT ${WAITS_FOR_SUCCESSOR}
      ORDER BY r."graceEndsAt"
      LIMIT ${BATCH}
      FOR UPDATE OF r SKIP LOCKED
    ), done AS (
      UPDATE rotations r
      SET state = 'completed', "completedAt" = ${now}, "openKeyId" = NULL, "updatedAt" = ${now}
      FROM due WHERE r.id = due.id
      RETURNING r.id, r."keyId", r.kind, r."scheduledAt", r."graceEndsAt", r.reason
    )
    UPDATE api_keys k SET status = 'revoked', "revokedAt" = ${now}
    FROM done d WHERE k.id = d."keyId"
    RETURNING d.id AS "rotationId", d."keyId", d.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", d."scheduledAt", d."graceEndsAt", d.reason`;
}

/**
 * True for a rotation in grace whose policy waits for the successor's first
 * use, whose successor was not used before the deadline (or not even
 * revealed), and whose deadline was not extended yet. Never for an
 * emergency: a leaked key gets no extra time. The same rule as verification's
 * (packages/verifier/src/rule.ts), which applies it when the cron is late:
 * it depends on the data only, never on when the cron runs.
 */
const WAITS_FOR_SUCCESSOR = Prisma.sql`(
  r.kind <> 'emergency' AND NOT r."deadlineExtended"
  AND EXISTS (SELECT 1 FROM api_keys ok JOIN ${Prisma.raw(EFFECTIVE_POLICY_SQL)} ep ON ep."organizationId" = ok."organizationId"
              WHERE ok.id = r."keyId" AND ep."waitForSuccessorUse")
  AND NOT EXISTS (SELECT 1 FROM api_keys s WHERE s.id = r."successorId" AND s."firstUsedAt" < r."graceEndsAt")
)`;

/**
 * At the deadline, a rotation waiting for its successor's first use gets one
 * more grace period, counted from the deadline (not from the cron's call, so
 * a late cron gives no extra time; an extension already over is completed by
 * the next step of the same call).
 */
function extendUnusedSuccessors(tx: Tx, now: Date): Promise<MovedRow[]> {
  return tx.$queryRaw<MovedRow[]>`
    WITH due AS (
      SELECT r.id FROM rotations r
      WHERE r.state = 'grace' AND r."graceEndsAt" <= ${now} AND ${WAITS_FOR_SUCCESSOR}
      ORDER BY r."graceEndsAt"
      LIMIT ${BATCH}
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE rotations r
    SET "graceEndsAt" = r."graceEndsAt" + make_interval(hours => GREATEST(r."gracePeriodHours", 1)),
        "deadlineExtended" = true, "reminderSentAt" = NULL, "updatedAt" = ${now}
    FROM due, api_keys k
    WHERE r.id = due.id AND k.id = r."keyId"
    RETURNING r.id AS "rotationId", r."keyId", r.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", r."scheduledAt", r."graceEndsAt", r.reason`;
}

/**
 * A rotation in grace whose policy ends the grace once the new key is
 * confirmed in use (endGraceOnConfirmedUse): the customer's agent reported
 * the new key delivered, and the new key was used at or after that report.
 * Its deadline becomes `now` (verification refuses the old key from then on,
 * as it does at any deadline), and the completion step revokes it. Never for
 * an emergency rotation, whose deadline is already the shortest.
 */
function endConfirmedGraces(tx: Tx, now: Date): Promise<MovedRow[]> {
  return tx.$queryRaw<MovedRow[]>`
    WITH due AS (
      SELECT r.id FROM rotations r JOIN api_keys s ON s.id = r."successorId"
      WHERE r.state = 'grace' AND r."graceEndsAt" > ${now} AND r.kind <> 'emergency'
        AND EXISTS (SELECT 1 FROM api_keys ok JOIN ${Prisma.raw(EFFECTIVE_POLICY_SQL)} ep ON ep."organizationId" = ok."organizationId"
                    WHERE ok.id = r."keyId" AND ep."endGraceOnConfirmedUse")
        AND EXISTS (SELECT 1 FROM agent_reports ar WHERE ar."rotationId" = r.id AND ar.outcome = 'delivered' AND s."lastUsedAt" >= ar."reportedAt")
      ORDER BY r."graceEndsAt"
      LIMIT ${BATCH}
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE rotations r
    SET "graceEndsAt" = ${now}, "updatedAt" = ${now}
    FROM due, api_keys k
    WHERE r.id = due.id AND k.id = r."keyId"
    RETURNING r.id AS "rotationId", r."keyId", r.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", r."scheduledAt", r."graceEndsAt", r.reason`;
}

function recordEndedEarly(tx: Tx, rows: MovedRow[], now: Date, actor: Actor) {
  return recordEvents(
    tx,
    rows.map(
      (row): LifecycleEvent => ({
        ...base(row, actor),
        type: "rotation.grace_ended",
        reason: "the agent delivered the new key and it is in use; the policy ends the grace then",
        before: { state: "grace" },
        after: { state: "grace", graceEndsAt: row.graceEndsAt },
      }),
    ),
    now,
  );
}

/** A due scheduled rotation whose key is not active any more cannot start: it fails. */
function failUnstartable(tx: Tx, now: Date): Promise<MovedRow[]> {
  return tx.$queryRaw<MovedRow[]>`
    WITH due AS (
      SELECT r.id FROM rotations r JOIN api_keys k ON k.id = r."keyId"
      WHERE r.state = 'scheduled' AND r."scheduledAt" <= ${now} AND k.status <> 'active'
      LIMIT ${BATCH}
      FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE rotations r
    SET state = 'failed', "failedAt" = ${now}, "openKeyId" = NULL, "updatedAt" = ${now},
        "failureReason" = 'key is ' || k.status::text
    FROM due, api_keys k
    WHERE r.id = due.id AND k.id = r."keyId"
    RETURNING r.id AS "rotationId", r."keyId", r.kind::text AS kind, k.prefix, k.environment::text AS environment,
              k."organizationId", r."scheduledAt", r."graceEndsAt", r.reason, k.status::text AS "keyStatus"`;
}
