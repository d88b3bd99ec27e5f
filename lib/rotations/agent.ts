import "server-only";
import { getPrisma, inTransaction } from "../db";
import type { Actor } from "../auth/actor";
import { NotFoundError, UnauthorizedError, ValidationError } from "../errors";
import { getEffectivePolicy } from "../policies/queries";
import { parseInput } from "../validation";
import { formatUtcMinute } from "../time";
import { lockRotation } from "../locks";
import { recordEvent } from "./events";
import { agentReportSchema } from "./agent-schemas";

const DAY_MS = 86_400_000;

/**
 * The agent's questions and reports (packages/agent), each authenticated by
 * the customer's key itself (lib/http/key-auth.ts): is this key due for
 * rotation, and how did delivering its successor go.
 */

/** What the agent should do about a key: `rotate` (self-rotate now), `wait`, or `portal` (a person must act: no successor for the agent). */
export type AgentAction = "rotate" | "wait" | "portal";

/**
 * A key's standing, for the agent: due when its open rotation (scheduled, or
 * in grace with nobody holding the successor) waits for it, or when it is
 * within its policy's notice of its max age. `portal` when the key cannot
 * obtain a successor itself: under emergency rotation (it may be leaked), or
 * in grace with its successor already issued (to this agent, which keeps it
 * beside its key file, or to a person in the portal).
 */
export async function keyStanding(keyId: string, now: Date) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findUnique({
    where: { id: keyId },
    select: { id: true, prefix: true, status: true, environment: true, createdAt: true, expiresAt: true, organizationId: true },
  });
  if (!key) throw new UnauthorizedError("This key is not known.");
  if (key.status === "revoked" || key.status === "expired" || (key.expiresAt && key.expiresAt <= now)) {
    throw new UnauthorizedError(`This key is ${key.status === "revoked" ? "revoked" : "expired"}.`);
  }
  const [policy, open, predecessor] = await Promise.all([
    getEffectivePolicy(prisma, key.organizationId),
    prisma.rotation.findUnique({
      where: { openKeyId: key.id },
      select: { id: true, kind: true, state: true, scheduledAt: true, graceEndsAt: true, successor: { select: { prefix: true } } },
    }),
    // This key is the new key of a rotation in grace: the agent that delivered it reports with it.
    prisma.rotation.findFirst({ where: { successorId: key.id, state: "grace" }, select: { id: true, graceEndsAt: true, key: { select: { prefix: true } } } }),
  ]);
  const maxAgeAt = new Date(key.createdAt.getTime() + policy.maxAgeDays * DAY_MS);
  const dueAt = new Date(maxAgeAt.getTime() - policy.noticeDays * DAY_MS);
  let action: AgentAction;
  let reason: string;
  if (open?.kind === "emergency") {
    action = "portal";
    reason =
      "This key is under emergency rotation: it may be leaked, so it cannot obtain its successor. Your organization's contacts reveal the new key in the portal.";
  } else if (open?.state === "grace" && open.successor) {
    action = "portal";
    reason = `This key's successor ${open.successor.prefix}… was already issued; the old key works until ${formatUtcMinute(open.graceEndsAt!)}. If this agent did not get it, reveal or re-roll it in the portal.`;
  } else if (open?.state === "grace") {
    action = "rotate";
    reason = `A rotation of this key is in grace until ${formatUtcMinute(open.graceEndsAt!)} and nobody holds its successor yet.`;
  } else if (open) {
    action = "rotate";
    reason = `A rotation of this key is scheduled for ${formatUtcMinute(open.scheduledAt)}: rotating now replaces it.`;
  } else if (dueAt <= now) {
    action = "rotate";
    reason = `This key reaches its max age of ${policy.maxAgeDays} days on ${formatUtcMinute(maxAgeAt)}, within the policy's notice of ${policy.noticeDays} days.`;
  } else {
    action = "wait";
    reason = `This key is due for rotation from ${formatUtcMinute(dueAt)} (${policy.noticeDays} days before its max age of ${policy.maxAgeDays} days).`;
  }
  return {
    key: { id: key.id, prefix: key.prefix, status: key.status, environment: key.environment, createdAt: key.createdAt, expiresAt: key.expiresAt },
    policy: { maxAgeDays: policy.maxAgeDays, noticeDays: policy.noticeDays, gracePeriodHours: policy.gracePeriodHours },
    maxAgeAt,
    dueAt,
    due: action === "rotate",
    action,
    reason,
    rotation: open
      ? { id: open.id, kind: open.kind, state: open.state, scheduledAt: open.scheduledAt, graceEndsAt: open.graceEndsAt, successorIssued: !!open.successor }
      : null,
    successorOf: predecessor ? { rotationId: predecessor.id, keyPrefix: predecessor.key.prefix, graceEndsAt: predecessor.graceEndsAt } : null,
  };
}

/** Anything shaped like a key or token, cut to its kind: an agent's message never puts one on the record. */
function withoutSecrets(text: string): string {
  return text.replace(/\b(rkm?_(?:live|test|mgmt)_)[0-9A-Za-z]{4,}/g, "$1…");
}

/**
 * Records what the agent reports about a rotation: for a delivery, the one in
 * grace whose new key is the reporting key; for a failure, the open one of
 * the reporting (old) key. A failure raises an alert for staff; both are
 * lifecycle events (audit, webhooks) in the same transaction as the report.
 */
export async function recordAgentReport(keyId: string, input: unknown, now: Date) {
  const data = parseInput(agentReportSchema, input);
  if (data.outcome === "failed" && !data.failedAt) throw new ValidationError("failedAt: name the destination (or check) that failed", "failedAt");
  return inTransaction(async (tx) => {
    const key = await tx.apiKey.findUniqueOrThrow({ where: { id: keyId }, select: { id: true, prefix: true, organizationId: true, environment: true } });
    // A delivery is reported with the new key, a failure with the old one: each looks first where it belongs
    // (a key can be the new key of one rotation and the old key of the next while the first is still in grace).
    const asNewKey = () => tx.rotation.findFirst({ where: { successorId: keyId, state: "grace" }, select: { id: true } });
    const asOldKey = () => tx.rotation.findUnique({ where: { openKeyId: keyId }, select: { id: true } });
    const found = data.outcome === "delivered" ? ((await asNewKey()) ?? (await asOldKey())) : ((await asOldKey()) ?? (await asNewKey()));
    if (!found) throw new NotFoundError("This key has no rotation under way to report on.");
    await lockRotation(tx, found.id);
    const rotation = await tx.rotation.findUniqueOrThrow({
      where: { id: found.id },
      select: { id: true, key: { select: { id: true, prefix: true, organizationId: true, environment: true } } },
    });
    const actor: Actor = `key:${key.prefix}`;
    const destinations = data.destinations.map(withoutSecrets);
    const failedAt = data.failedAt ? withoutSecrets(data.failedAt) : null;
    const message = data.message ? withoutSecrets(data.message) : null;
    const report = await tx.agentReport.create({
      data: { rotationId: rotation.id, outcome: data.outcome, destinations, failedAt, message, reportedBy: actor, reportedAt: now },
    });
    const old = rotation.key;
    if (data.outcome === "delivered") {
      await recordEvent(
        tx,
        {
          type: "rotation.delivered",
          actor,
          key: old,
          rotationId: rotation.id,
          reason: `the agent delivered the new key to ${plural(destinations.length, "destination")}`,
          after: { destinations },
        },
        now,
      );
    } else {
      await recordEvent(
        tx,
        {
          type: "rotation.delivery_failed",
          actor,
          key: old,
          rotationId: rotation.id,
          reason: `delivery failed at ${failedAt}${message ? `: ${message}` : ""}`,
          after: { destinations, failedAt },
          alert: {
            kind: "agent_delivery_failed",
            severity: "warning",
            message: `The agent of key ${old.prefix}… could not deliver its new key: it failed at ${failedAt}${message ? ` (${message})` : ""}. It kept the old key, which works until the rotation's deadline; the agent retries on its next run.`,
            dedupeKey: `agent_delivery_failed:${rotation.id}`,
          },
        },
        now,
      );
    }
    return { id: report.id, rotationId: rotation.id, outcome: report.outcome, destinations, failedAt, message, reportedAt: report.reportedAt };
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

export type AgentReportView = { outcome: "delivered" | "failed"; destinations: string[]; failedAt: string | null; message: string | null; reportedAt: Date };

/** The latest report of the agent on each of these rotations (the key page's and the portal's "delivered by the agent …"). */
export async function latestAgentReports(rotationIds: string[]): Promise<Map<string, AgentReportView>> {
  if (rotationIds.length === 0) return new Map();
  const prisma = await getPrisma();
  const rows = await prisma.agentReport.findMany({
    where: { rotationId: { in: rotationIds } },
    orderBy: { reportedAt: "desc" },
    distinct: ["rotationId"],
    select: { rotationId: true, outcome: true, destinations: true, failedAt: true, message: true, reportedAt: true },
  });
  return new Map(rows.map(({ rotationId, ...r }) => [rotationId, r]));
}
