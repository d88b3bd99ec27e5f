import "server-only";
import { randomUUID } from "node:crypto";
import { inTransaction, Prisma, type Tx } from "../db";
import { appendAuditEvents, type AuditInput } from "../audit/write";
import { ValidationError } from "../errors";
import { parseInput } from "../validation";
import { recordPolicyAssignment } from "../policies/history";
import { importDigest, legacyPlaceholder } from "./legacy-hash";
import { LEGACY_IMPORTED, noteLegacyImport } from "./verify";
import { importLineSchema, MAX_FIRST_LINE, MAX_IMPORT_BATCH, type ImportLine } from "./import-schemas";
import type { Context } from "../context";

export { MAX_FIRST_LINE, MAX_IMPORT_BATCH, type ImportLine };

/**
 * Import of the keys an earlier system issued, without their plaintext:
 * each line carries the hash that system stored (lib/keys/legacy-hash.ts),
 * the key's display prefix, its organization (by the company's external id,
 * created if missing) and what it was: name, scopes, rate limit, real
 * creation and last-use times, optional expiry. An imported key verifies at
 * once against its legacy hash and moves to rekey's keyed hash at its first
 * successful verification (lib/keys/verify.ts); from its import it is under
 * its organization's policy by its real age, like every key, so the cron
 * schedules the rotation of one past its policy's age with the policy's notice.
 *
 * - Idempotent: a line whose hash was imported before (its `importDigest`,
 *   kept after the upgrade) is `unchanged`; re-running an import changes nothing.
 * - One transaction per batch: the lines that pass are written with their
 *   organizations and audit events together, or none of them is; a refused
 *   line is reported with why, and changes nothing.
 */
/** How many keys still on a legacy hash may share a display prefix (verification tries each one's hash). */
export const MAX_SHARED_LEGACY_PREFIX = 10;

type ParsedLine = ReturnType<typeof importLineSchema.parse>;

export type ImportOutcome =
  | { line: number; status: "imported"; keyId: string; prefix: string; organizationId: string }
  | { line: number; status: "unchanged"; keyId: string; prefix: string }
  | { line: number; status: "refused"; error: string };

export interface ImportResult {
  imported: number;
  unchanged: number;
  refused: number;
  organizationsCreated: number;
  /** Whether nothing was written (a dry run): the outcomes say what a real run would do. */
  dryRun: boolean;
  lines: ImportOutcome[];
}

class DryRunRollback extends Error {
  constructor(readonly result: ImportResult) {
    super("dry run");
  }
}

/**
 * Imports one batch of lines (`lines[i]` is line `firstLine + i` of the
 * caller's file). Every line gets an outcome; the batch's writes commit in
 * one transaction. With `dryRun` the same checks run and nothing is kept.
 */
export async function importKeys(lines: unknown[], { actor, now }: Context, options: { firstLine?: number; dryRun?: boolean } = {}): Promise<ImportResult> {
  if (!Array.isArray(lines) || lines.length === 0) throw new ValidationError("keys: send at least one key to import", "keys");
  if (lines.length > MAX_IMPORT_BATCH) throw new ValidationError(`keys: at most ${MAX_IMPORT_BATCH} keys per request; split the file into batches`, "keys");
  const first = options.firstLine ?? 1;
  const outcomes: (ImportOutcome | undefined)[] = new Array(lines.length);
  const refuse = (i: number, error: string) => (outcomes[i] = { line: first + i, status: "refused", error });

  // 1. Each line on its own: its shape, its times, and no hash twice in one batch.
  const parsed: { i: number; data: ParsedLine; digest: string }[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, i) => {
    try {
      const data = parseInput(importLineSchema, raw);
      if (data.createdAt > now) throw new ValidationError("createdAt: must not be in the future");
      if (data.lastUsedAt && (data.lastUsedAt < data.createdAt || data.lastUsedAt > now))
        throw new ValidationError("lastUsedAt: must be between createdAt and now");
      if (data.expiresAt && data.expiresAt <= now) throw new ValidationError("expiresAt: is in the past; an expired key need not be imported");
      const digest = importDigest(data.hash);
      const twin = seen.get(digest);
      if (twin !== undefined) throw new ValidationError(`hash: the same hash as line ${first + twin}`);
      seen.set(digest, i);
      parsed.push({ i, data, digest });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      refuse(i, error.message);
    }
  });

  const run = async (tx: Tx): Promise<ImportResult> => {
    // 2. Against what is stored: imported before (unchanged), external ids held by other keys, shared prefixes, organizations.
    const digests = parsed.map((p) => p.digest);
    const existing = new Map(
      (await tx.apiKey.findMany({ where: { importDigest: { in: digests } }, select: { id: true, prefix: true, importDigest: true } })).map((k) => [
        k.importDigest!,
        k,
      ]),
    );
    const keyExternalIds = parsed.map((p) => p.data.externalId).filter((x): x is string => !!x);
    const heldExternalIds = new Set(
      (await tx.apiKey.findMany({ where: { externalId: { in: keyExternalIds } }, select: { externalId: true } })).map((k) => k.externalId!),
    );
    const sharing = new Map(
      (
        await tx.$queryRaw<{ prefix: string; n: number }[]>`
          SELECT prefix, count(*)::int AS n FROM api_keys WHERE "legacyHash" IS NOT NULL AND prefix = ANY(${parsed.map((p) => p.data.prefix)}::text[]) GROUP BY prefix`
      ).map((r) => [r.prefix, r.n]),
    );
    const orgExternalIds = [...new Set(parsed.map((p) => p.data.organization.externalId))];
    const orgs = new Map(
      (await tx.organization.findMany({ where: { externalId: { in: orgExternalIds } }, select: { id: true, externalId: true, deletedAt: true } })).map((o) => [
        o.externalId!,
        o,
      ]),
    );
    const newOrgNames = new Map<string, string>(); // external id → name, for organizations this batch creates
    for (const p of parsed) {
      const ext = p.data.organization.externalId;
      if (!orgs.has(ext) && !newOrgNames.has(ext)) newOrgNames.set(ext, p.data.organization.name ?? ext);
    }
    const namesTaken = new Set(
      (await tx.organization.findMany({ where: { name: { in: [...newOrgNames.values()] } }, select: { name: true } })).map((o) => o.name),
    );
    const batchExternalIds = new Set<string>();

    const toInsert: { i: number; data: ParsedLine; digest: string; id: string }[] = [];
    for (const p of parsed) {
      const { data } = p;
      const before = existing.get(p.digest);
      if (before) {
        outcomes[p.i] = { line: first + p.i, status: "unchanged", keyId: before.id, prefix: before.prefix };
        continue;
      }
      const org = orgs.get(data.organization.externalId);
      if (org?.deletedAt) {
        refuse(p.i, `organization: ${data.organization.externalId} was deleted; its keys are not imported`);
        continue;
      }
      if (!org && namesTaken.has(newOrgNames.get(data.organization.externalId)!)) {
        refuse(
          p.i,
          `organization.name: "${newOrgNames.get(data.organization.externalId)}" is another organization's name; give organization.name for ${data.organization.externalId}`,
        );
        continue;
      }
      if (data.externalId && (heldExternalIds.has(data.externalId) || batchExternalIds.has(data.externalId))) {
        refuse(p.i, `externalId: ${data.externalId} is already another key's; external ids are unique per installation`);
        continue;
      }
      const shared = sharing.get(data.prefix) ?? 0;
      if (shared >= MAX_SHARED_LEGACY_PREFIX) {
        refuse(p.i, `prefix: ${MAX_SHARED_LEGACY_PREFIX} imported keys not yet used already share ${data.prefix}; give a longer prefix`);
        continue;
      }
      sharing.set(data.prefix, shared + 1);
      if (data.externalId) batchExternalIds.add(data.externalId);
      toInsert.push({ ...p, id: randomUUID() });
    }

    // 3. The writes: new organizations (with their policy history), the keys, one audit event each, and a "*" to every verifier.
    const events: AuditInput[] = [];
    const created = [...new Set(toInsert.map((p) => p.data.organization.externalId))].filter((ext) => !orgs.has(ext));
    for (const ext of created) {
      const org = await tx.organization.create({
        data: { name: newOrgNames.get(ext)!, externalId: ext, createdAt: now },
        select: { id: true, name: true, externalId: true },
      });
      await recordPolicyAssignment(tx, org.id, null, now);
      orgs.set(ext, { id: org.id, externalId: ext, deletedAt: null });
      events.push({
        actor,
        action: "organization.created",
        organizationId: org.id,
        reason: "created by a key import",
        after: { name: org.name, externalId: org.externalId },
      });
    }
    if (toInsert.length) {
      await tx.apiKey.createMany({
        data: toInsert.map(({ data, digest, id }) => ({
          id,
          organizationId: orgs.get(data.organization.externalId)!.id,
          name: data.name,
          environment: data.environment,
          prefix: data.prefix,
          hash: legacyPlaceholder(digest),
          hashVersion: 0,
          legacyAlgorithm: data.hash.algorithm,
          legacyHash: data.hash.value,
          legacyParams: (data.hash.params ?? Prisma.DbNull) as Prisma.InputJsonValue,
          importDigest: digest,
          importedAt: now,
          scopes: data.scopes,
          rateLimit: data.rateLimit,
          createdAt: data.createdAt,
          lastUsedAt: data.lastUsedAt ?? null,
          expiresAt: data.expiresAt ?? null,
          externalId: data.externalId ?? null,
          metadata: data.metadata as Prisma.InputJsonValue,
        })),
      });
      for (const { i, data, id } of toInsert) {
        const organizationId = orgs.get(data.organization.externalId)!.id;
        outcomes[i] = { line: first + i, status: "imported", keyId: id, prefix: data.prefix, organizationId };
        events.push({
          actor,
          action: "key.imported",
          organizationId,
          keyId: id,
          keyFingerprint: data.prefix,
          reason: `imported on its ${data.hash.algorithm} hash; moves to rekey's keyed hash at its first successful verification`,
          after: { status: "active", environment: data.environment, scopes: data.scopes, hash: data.hash.algorithm, createdAt: data.createdAt.toISOString() },
        });
      }
      // At commit, every instance reads the imported prefixes again (lib/keys/verify.ts); in-process replicas are not
      // told: they learn a key once it is on rekey's hash (docs/verifier-protocol.md).
      await tx.$executeRaw`SELECT pg_notify('rekey_key_changed', ${LEGACY_IMPORTED})`;
    }
    await appendAuditEvents(tx, events, now);
    const done = outcomes as ImportOutcome[];
    return {
      imported: done.filter((o) => o.status === "imported").length,
      unchanged: done.filter((o) => o.status === "unchanged").length,
      refused: done.filter((o) => o.status === "refused").length,
      organizationsCreated: created.length,
      dryRun: !!options.dryRun,
      lines: done,
    };
  };

  try {
    const result = await inTransaction(async (tx) => {
      const result = await run(tx);
      if (options.dryRun) throw new DryRunRollback(result);
      return result;
    }, "Another import wrote some of these keys or organizations at the same time; run it again (it is idempotent).");
    // This process's caches at once, as its own NOTIFY will a moment later.
    if (result.imported > 0) noteLegacyImport();
    return result;
  } catch (error) {
    if (error instanceof DryRunRollback) return error.result;
    throw error;
  }
}
