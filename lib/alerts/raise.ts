import "server-only";
import type { Tx } from "../db";
import { SYSTEM_CRON, type Actor } from "../auth/actor";
import { appendAuditEvents } from "../audit/write";
import { enqueueWebhooks } from "../webhooks/enqueue";

/** The alerts of DOMAIN.md, plus the ones the machinery itself needs a human for. */
export type AlertKind =
  | "rotation_failed"
  | "key_past_max_age"
  | "revoked_key_used"
  | "old_key_in_use"
  | "deadline_extended"
  | "verification_spike"
  | "notification_failed"
  /** A key asked for a successor already issued (self-rotation during grace): two holders of one key? */
  | "possible_compromise"
  /** The nightly full re-check of the audit chain found an edited, removed or reordered event. */
  | "audit_chain_broken"
  /** Keys or tokens still stored under an old hashing secret version long after its successor became current. */
  | "old_hash_version"
  /** A key was reported leaked (GitHub secret scanning, a scanner, a person): revoked at once (lib/leaks/report.ts). */
  | "key_leaked"
  /** A webhook endpoint failed for days and was disabled (lib/webhooks/deliver.ts). */
  | "webhook_disabled"
  /** The customer's agent could not deliver a rotation's new key to its destinations (lib/rotations/agent.ts). */
  | "agent_delivery_failed";

export interface AlertInput {
  kind: AlertKind;
  severity: "critical" | "warning" | "info";
  organizationId?: string | null;
  keyId?: string | null;
  rotationId?: string | null;
  keyFingerprint?: string | null;
  message: string;
  /** The condition: while an alert with this key is open or acknowledged, the same condition raises nothing new. */
  dedupeKey: string;
}

/**
 * Raises alerts in the caller's transaction, each once per condition (the
 * unique dedupe key), with an audit event and an `alert.raised` webhook for
 * each one actually raised. Returns how many were new.
 */
export async function raiseAlerts(tx: Tx, alerts: AlertInput[], now: Date, actor: Actor = SYSTEM_CRON): Promise<number> {
  if (alerts.length === 0) return 0;
  const raised = await tx.$queryRaw<
    {
      id: string;
      kind: string;
      severity: string;
      organizationId: string | null;
      keyId: string | null;
      rotationId: string | null;
      message: string;
      dedupeKey: string;
    }[]
  >`
    INSERT INTO alerts (id, kind, severity, status, "organizationId", "keyId", "rotationId", message, "dedupeKey", "createdAt")
    SELECT gen_random_uuid()::text, v.kind, v.severity, 'open', v.org, v.key, v.rot, v.message, v.dedupe, ${now}
    FROM unnest(
      ${alerts.map((a) => a.kind)}::text[], ${alerts.map((a) => a.severity)}::text[], ${alerts.map((a) => a.organizationId ?? null)}::text[],
      ${alerts.map((a) => a.keyId ?? null)}::text[], ${alerts.map((a) => a.rotationId ?? null)}::text[], ${alerts.map((a) => a.message)}::text[],
      ${alerts.map((a) => a.dedupeKey)}::text[]
    ) WITH ORDINALITY AS v(kind, severity, org, key, rot, message, dedupe, ord)
    ORDER BY v.ord
    ON CONFLICT ("dedupeKey") DO NOTHING
    RETURNING id, kind, severity::text AS severity, "organizationId", "keyId", "rotationId", message, "dedupeKey"`;
  if (raised.length === 0) return 0;
  const fingerprints = new Map(alerts.map((a) => [a.dedupeKey, a.keyFingerprint ?? null]));
  await enqueueWebhooks(
    tx,
    raised.map((a) => ({
      type: "alert.raised",
      organizationId: a.organizationId,
      keyId: a.keyId,
      data: {
        alertId: a.id,
        kind: a.kind,
        severity: a.severity,
        message: a.message,
        organizationId: a.organizationId,
        keyId: a.keyId,
        keyPrefix: fingerprints.get(a.dedupeKey) ?? null,
        rotationId: a.rotationId,
      },
    })),
    now,
  );
  await appendAuditEvents(
    tx,
    raised.map((a) => ({
      actor,
      action: "alert.raised",
      organizationId: a.organizationId,
      keyId: a.keyId,
      keyFingerprint: fingerprints.get(a.dedupeKey) ?? null,
      rotationId: a.rotationId,
      reason: a.message,
      after: { alertId: a.id, kind: a.kind, status: "open" },
    })),
    now,
  );
  return raised.length;
}

/**
 * Resolves open or acknowledged alerts whose condition has cleared (the
 * caller's SQL picks them), audited as done by `actor`. Returns how many.
 */
export async function resolveAlertsByIds(tx: Tx, ids: string[], now: Date, why: string, actor: Actor = SYSTEM_CRON): Promise<number> {
  if (ids.length === 0) return 0;
  const resolved = await tx.$queryRaw<
    { id: string; kind: string; organizationId: string | null; keyId: string | null; rotationId: string | null; status: string }[]
  >`
    UPDATE alerts a SET status = 'resolved', "resolvedAt" = ${now}, "dedupeKey" = NULL
    FROM (SELECT id, status FROM alerts WHERE id = ANY(${ids}::text[]) AND status <> 'resolved' FOR UPDATE SKIP LOCKED) old
    WHERE a.id = old.id
    RETURNING a.id, a.kind, a."organizationId", a."keyId", a."rotationId", old.status::text AS status`;
  if (resolved.length === 0) return 0;
  await appendAuditEvents(
    tx,
    resolved.map((a) => ({
      actor,
      action: "alert.resolved",
      organizationId: a.organizationId,
      keyId: a.keyId,
      rotationId: a.rotationId,
      reason: why,
      before: { status: a.status, kind: a.kind },
      after: { status: "resolved" },
    })),
    now,
  );
  return resolved.length;
}
