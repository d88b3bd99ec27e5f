import "server-only";
import { createHash } from "node:crypto";
import { z } from "zod";
import { inTransaction } from "../db";
import { parseSecret } from "../keys/format";
import { findVerificationRecord } from "../keys/records";
import { findImportedKeyBySearch } from "../keys/queries";
import { lockKey } from "../locks";
import { openRotation } from "../rotations/mutations";
import { recordEvent } from "../rotations/events";
import { parseInput } from "../validation";
import { getEffectivePolicy } from "../policies/queries";
import type { Context, ScopedContext } from "../context";

/** Where a leak report came from. */
export type LeakReporter = "github" | "api" | "dashboard" | "portal";

/** One leaked token as a scanner reports it (GitHub's payload: token, type, url, source). */
export const leakReportSchema = z.object({
  token: z.string().min(1, "is required").max(1024, "must be at most 1024 characters"),
  type: z.string().max(200, "must be at most 200 characters").optional(),
  url: z.string().max(2000, "must be at most 2000 characters").optional(),
  source: z.string().max(100, "must be at most 100 characters").optional(),
});
/** Tokens in one report at most. */
export const MAX_LEAK_REPORTS = 1000;
export const leakReportsSchema = z
  .array(leakReportSchema)
  .min(1, "must name at least one token")
  .max(MAX_LEAK_REPORTS, `must be at most ${MAX_LEAK_REPORTS} tokens`);
export type LeakReport = z.input<typeof leakReportSchema>;
/** The management API's leak report: `{ "tokens": [...] }`. */
export const leakRequestSchema = z.object({ tokens: leakReportsSchema });

export interface LeakOutcome {
  /** SHA-256 of the token, hex: how the answer names it (GitHub's feedback format), never the token. */
  tokenHash: string;
  /** One of ours (true_positive) or not (false_positive). */
  label: "true_positive" | "false_positive";
  keyId?: string;
  prefix?: string;
  organizationId?: string;
  /** What was done: revoked now (with its family), or already revoked or expired. */
  action?: "revoked" | "already_revoked";
}

export const tokenHash = (token: string) => createHash("sha256").update(token).digest("hex");

/**
 * Acts on leaked keys, each in its own transaction: a token that is one of
 * rekey's keys (checksum, then its keyed hash; an imported key by its legacy
 * hash) is emergency-rotated with no grace — revoked now with every key minted
 * from it, its replacement revealed by the customer in the portal, the
 * customer emailed — and a `key.leaked` event (where it was found) raises a
 * critical alert, all in that transaction. A key already revoked or expired
 * only gets the event. Anything else is a false positive and changes
 * nothing. The token itself is only hashed: never stored, logged or answered.
 */
export async function reportLeakedKeys(input: LeakReport[], reporter: LeakReporter, { actor, now, scope = {} }: ScopedContext): Promise<LeakOutcome[]> {
  const reports = parseInput(leakReportsSchema, input);
  const outcomes: LeakOutcome[] = [];
  for (const r of reports) {
    const hash = tokenHash(r.token);
    const keyId = await findKeyId(r.token);
    if (!keyId) {
      outcomes.push({ tokenHash: hash, label: "false_positive" });
      continue;
    }
    outcomes.push({ tokenHash: hash, label: "true_positive", ...(await actOnLeak(keyId, r, reporter, { actor, now })) });
  }
  // A customer learns what became of their own organization's keys only.
  return outcomes.map((o) => (scope.organizationId && o.organizationId !== scope.organizationId ? { tokenHash: o.tokenHash, label: o.label } : o));
}

async function findKeyId(token: string): Promise<string | null> {
  if (parseSecret(token)?.kind === "rk") return (await findVerificationRecord(token))?.keyId ?? null;
  return (await findImportedKeyBySearch(token))?.keyId ?? null;
}

function actOnLeak(keyId: string, r: z.output<typeof leakReportSchema>, reporter: LeakReporter, { actor, now }: Context) {
  const where = [r.url, r.source && `(${r.source})`].filter(Boolean).join(" ") || "no location given";
  return inTransaction(async (tx) => {
    await lockKey(tx, keyId);
    const key = await tx.apiKey.findUniqueOrThrow({
      where: { id: keyId },
      select: { id: true, prefix: true, organizationId: true, environment: true, status: true, expiresAt: true },
    });
    const live = (key.status === "active" || key.status === "expiring") && !(key.expiresAt && key.expiresAt <= now);
    if (live) {
      // The policy's grace for a leak (default 0: revoked at once); the family is revoked whatever it is.
      const { leakGraceHours } = await getEffectivePolicy(tx, key.organizationId);
      await openRotation(
        tx,
        { keyId, kind: "emergency", gracePeriodHours: leakGraceHours, deliver: "portal", reason: `leaked: reported by ${reporter}, found at ${where}` },
        { actor, now },
      );
    }
    await recordEvent(
      tx,
      {
        actor,
        type: "key.leaked",
        key,
        reason: `reported by ${reporter}: found at ${where}`,
        after: { reporter, url: r.url ?? null, source: r.source ?? null, tokenType: r.type ?? null, revoked: live },
        alert: {
          kind: "key_leaked",
          severity: "critical",
          message: live
            ? `Key ${key.prefix}… was reported leaked by ${reporter} (found at ${where}). It and every key minted from it were revoked at once; the customer reveals a replacement in the portal.`
            : `Key ${key.prefix}… was reported leaked by ${reporter} (found at ${where}); it was already ${key.status === "revoked" ? "revoked" : "expired"}.`,
          dedupeKey: `key_leaked:${key.id}`,
        },
      },
      now,
    );
    return { keyId: key.id, prefix: key.prefix, organizationId: key.organizationId, action: live ? ("revoked" as const) : ("already_revoked" as const) };
  });
}
