import "server-only";
import { inTransaction } from "../db";
import { SYSTEM_CRON, type Actor } from "../auth/actor";
import { recordEvents } from "../rotations/events";

const BATCH = 5_000;
const DAY_MS = 86_400_000;

interface ReminderRow {
  rotationId: string;
  keyId: string;
  kind: string;
  prefix: string;
  environment: string;
  organizationId: string;
  organizationName: string;
  timeZone: string;
  contactEmails: string[];
  scheduledAt: Date;
  graceEndsAt: Date;
  lastUsedAt: Date;
}

/**
 * Within 24 hours of a grace deadline, when the old key was used in the last
 * 24 hours (something still runs on it), reminds the customer once per
 * deadline and raises an "old key still in use" alert. Marked on the rotation
 * (reminderSentAt, cleared when the deadline moves), so each is sent once.
 */
export async function sendDueReminders(now: Date, actor: Actor = SYSTEM_CRON): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await inTransaction(async (tx) => {
      const rows = await tx.$queryRaw<ReminderRow[]>`
        WITH due AS (
          SELECT r.id FROM rotations r JOIN api_keys k ON k.id = r."keyId"
          WHERE r.state = 'grace' AND r."reminderSentAt" IS NULL
            AND r."graceEndsAt" > ${now} AND r."graceEndsAt" <= ${new Date(now.getTime() + DAY_MS)}
            AND k."lastUsedAt" >= ${new Date(now.getTime() - DAY_MS)}
          LIMIT ${BATCH}
          FOR UPDATE OF r SKIP LOCKED
        )
        UPDATE rotations r SET "reminderSentAt" = ${now}
        FROM due, api_keys k, organizations o
        WHERE r.id = due.id AND k.id = r."keyId" AND o.id = k."organizationId"
        RETURNING r.id AS "rotationId", r."keyId", r.kind::text AS kind, k.prefix, k.environment::text AS environment, k."organizationId",
                  o.name AS "organizationName", o."timeZone", COALESCE(o."contactEmails", '{}') AS "contactEmails", r."scheduledAt", r."graceEndsAt", k."lastUsedAt"`;
      if (rows.length === 0) return 0;
      await recordEvents(
        tx,
        rows.map((r) => ({
          actor,
          type: "rotation.reminded" as const,
          key: { id: r.keyId, prefix: r.prefix, organizationId: r.organizationId, environment: r.environment },
          rotationId: r.rotationId,
          after: { graceEndsAt: r.graceEndsAt, oldKeyLastUsedAt: r.lastUsedAt, recipients: r.contactEmails.length },
          email: {
            kind: "rotation_reminder" as const,
            eventRef: `${r.rotationId}:${r.graceEndsAt.toISOString()}`,
            rotationKind: r.kind,
            scheduledAt: r.scheduledAt,
            graceEndsAt: r.graceEndsAt,
            lastUsedAt: r.lastUsedAt,
          },
          alert: {
            kind: "old_key_in_use" as const,
            severity: "warning" as const,
            message: `Old key ${r.prefix}… of ${r.organizationName} was still used at ${r.lastUsedAt.toISOString()}; its deadline is ${r.graceEndsAt.toISOString()}.`,
            dedupeKey: `old_key_in_use:${r.rotationId}`,
          },
        })),
        now,
      );
      return rows.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}
