import "server-only";
import { getPrisma, Prisma } from "../db";
import { EFFECTIVE_POLICY_SQL } from "../policies/sql";
import type { VerificationRecord } from "../../packages/verifier/src/rule";
import type { StoredHash } from "./hash";
import { candidateHashes } from "./hash";
import { matchesLegacyHash } from "./legacy-hash";

export type { VerificationRecord };

/** A record as the query returns it: the protocol's flat fields, then the rotation's columns. */
type RecordRow = Omit<VerificationRecord, "expiresAt" | "rotation"> & {
  expiresAt: Date | null;
  rotationState: "scheduled" | "grace" | null;
  rotationKind: "scheduled" | "manual" | "emergency" | null;
  scheduledAt: Date | null;
  startedAt: Date | null;
  graceEndsAt: Date | null;
  gracePeriodHours: number | null;
  deadlineExtended: boolean | null;
  waitForSuccessorUse: boolean | null;
  successorPrefix: string | null;
  successorFirstUsedAt: Date | null;
};

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toRecord(row: RecordRow): VerificationRecord {
  return {
    hash: row.hash,
    hashVersion: row.hashVersion,
    keyId: row.keyId,
    organizationId: row.organizationId,
    environment: row.environment,
    scopes: row.scopes,
    rateLimit: row.rateLimit,
    status: row.status,
    expiresAt: iso(row.expiresAt),
    externalId: row.externalId ?? null,
    metadata: row.metadata ?? {},
    organizationExternalId: row.organizationExternalId ?? null,
    organizationMetadata: row.organizationMetadata ?? {},
    rotation: row.rotationState
      ? {
          state: row.rotationState,
          kind: row.rotationKind!,
          scheduledAt: iso(row.scheduledAt)!,
          startedAt: iso(row.startedAt),
          graceEndsAt: iso(row.graceEndsAt),
          gracePeriodHours: row.gracePeriodHours!,
          deadlineExtended: row.deadlineExtended!,
          waitForSuccessorUse: row.waitForSuccessorUse!,
          successorPrefix: row.successorPrefix,
          successorFirstUsedAt: iso(row.successorFirstUsedAt),
        }
      : null,
  };
}

/**
 * Everything verification needs of a key (its record; docs/verifier-protocol.md),
 * for the keys `where` selects. The effective policy (the cron's own
 * resolution, lib/policies/sql.ts) is only looked up for a key with an open
 * rotation: only the extension rule needs it.
 */
async function selectRecords(where: Prisma.Sql, tail: Prisma.Sql = Prisma.empty): Promise<VerificationRecord[]> {
  const prisma = await getPrisma();
  const rows = await prisma.$queryRaw<RecordRow[]>`
    SELECT k.hash, k."hashVersion", k.id AS "keyId", k."organizationId", k.environment::text AS environment, k.scopes, k."rateLimit",
           k.status::text AS status, k."expiresAt", k."externalId", k.metadata, o."externalId" AS "organizationExternalId", o.metadata AS "organizationMetadata",
           r.state::text AS "rotationState", r.kind::text AS "rotationKind", r."scheduledAt", r."startedAt", r."graceEndsAt",
           r."gracePeriodHours", r."deadlineExtended",
           CASE WHEN r.id IS NULL THEN NULL ELSE (
             SELECT ep."waitForSuccessorUse" FROM ${Prisma.raw(EFFECTIVE_POLICY_SQL)} ep WHERE ep."organizationId" = k."organizationId"
           ) END AS "waitForSuccessorUse",
           s.prefix AS "successorPrefix", s."firstUsedAt" AS "successorFirstUsedAt"
    FROM api_keys k
    JOIN organizations o ON o.id = k."organizationId"
    LEFT JOIN rotations r ON r."openKeyId" = k.id
    LEFT JOIN api_keys s ON s.id = r."successorId"
    WHERE ${where} ${tail}`;
  return rows.map(toRecord);
}

/**
 * The record of the key stored under one of these hashes, each only under
 * its own hashing secret version, or null when there is none.
 */
export async function getVerificationRecord(hashes: StoredHash[]): Promise<VerificationRecord | null> {
  if (hashes.length === 1) return (await selectRecords(Prisma.sql`k.hash = ${hashes[0].hash} AND k."hashVersion" = ${hashes[0].hashVersion}`))[0] ?? null;
  const pairs = hashes.map((h) => `${h.hash}:${h.hashVersion}`);
  return (
    (await selectRecords(Prisma.sql`k.hash = ANY(${hashes.map((h) => h.hash)}::text[]) AND (k.hash || ':' || k."hashVersion") = ANY(${pairs}::text[])`))[0] ??
    null
  );
}

/** The record of a presented key, under whichever configured hashing secret version it is stored with. */
export function findVerificationRecord(presented: string): Promise<VerificationRecord | null> {
  return getVerificationRecord(candidateHashes(presented));
}

/** The records of these keyed hashes (those that exist). */
export function getVerificationRecords(hashes: string[]): Promise<VerificationRecord[]> {
  if (hashes.length === 0) return Promise.resolve([]);
  return selectRecords(Prisma.sql`k.hash = ANY(${hashes}::text[])`);
}

/** One page of every key's record in hash order, after `afterHash` (keyset paging for the snapshot), imported keys on a legacy hash left out. */
export function getVerificationRecordPage(afterHash: string, limit: number): Promise<VerificationRecord[]> {
  return selectRecords(Prisma.sql`k.hash > ${afterHash} AND k."legacyHash" IS NULL`, Prisma.sql`ORDER BY k.hash LIMIT ${limit}`);
}

/**
 * The records of these keyed hashes for in-process replicas: an imported key
 * still on its legacy hash is not one (no presented key hashes to its
 * placeholder; the replica learns the key when it moves to rekey's hash).
 */
export async function getReplicaRecords(hashes: string[]): Promise<VerificationRecord[]> {
  return (await getVerificationRecords(hashes)).filter((r) => r.hashVersion !== 0);
}

/** An imported key still on its legacy hash, as verification checks a presented key against it. */
export interface LegacyCandidate {
  hash: string;
  algorithm: string;
  value: string;
  params: unknown;
}

/**
 * The keys still on a legacy hash whose display prefix is one of
 * `prefixes` (the presented key's heads: a salted hash cannot be looked up,
 * its prefix can), at most `limit` of them.
 */
export async function getLegacyCandidates(prefixes: string[], limit: number): Promise<LegacyCandidate[]> {
  if (prefixes.length === 0) return [];
  const prisma = await getPrisma();
  return prisma.$queryRaw<LegacyCandidate[]>`
    SELECT hash, "legacyAlgorithm" AS algorithm, "legacyHash" AS value, "legacyParams" AS params
    FROM api_keys WHERE "legacyHash" IS NOT NULL AND prefix = ANY(${prefixes}::text[])
    ORDER BY "createdAt" DESC LIMIT ${limit}`;
}

/** The display prefixes of every key still on a legacy hash (verification's in-memory filter). */
export async function getLegacyPrefixes(): Promise<string[]> {
  const prisma = await getPrisma();
  const rows = await prisma.$queryRaw<{ prefix: string }[]>`SELECT DISTINCT prefix FROM api_keys WHERE "legacyHash" IS NOT NULL`;
  return rows.map((r) => r.prefix);
}

/**
 * The record of an imported key still on the hash the company's earlier
 * system stored (lib/keys/legacy-hash.ts) that `presented` is: found by its
 * display prefix (one of `heads`), then checked against that hash, at most
 * `limit` candidates. Its record's hashVersion is 0, so verify queues it to
 * be stored under rekey's keyed hash at once: the legacy hash is checked once
 * per key, on its first successful verification (and on each refusal of a
 * key that shares an imported prefix: their cost is bcrypt's or argon2's, so
 * prefixes should be long enough to be unique).
 */
export async function findLegacyRecord(presented: string, heads: string[], limit: number): Promise<VerificationRecord | null> {
  if (heads.length === 0) return null;
  for (const candidate of await getLegacyCandidates(heads, limit)) {
    if (await matchesLegacyHash(candidate, presented)) return (await getVerificationRecords([candidate.hash]))[0] ?? null;
  }
  return null;
}

/** The display prefixes of imported keys (on a legacy hash or upgraded) that are among `heads`. */
export async function getImportedPrefixes(heads: string[]): Promise<string[]> {
  if (heads.length === 0) return [];
  const prisma = await getPrisma();
  const rows = await prisma.$queryRaw<{ prefix: string }[]>`
    SELECT DISTINCT prefix FROM api_keys WHERE "importedAt" IS NOT NULL AND prefix = ANY(${heads}::text[])`;
  return rows.map((r) => r.prefix);
}
