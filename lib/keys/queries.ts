import "server-only";
import { getPrisma } from "../db";
import { NotFoundError, ValidationError } from "../errors";
import { parseInput } from "../validation";
import { keySearchSchema, type KeySearchInput } from "./schemas";
import { rotationViewSelect } from "../rotations/views";
import { keyViewSelect } from "./views";
import { findLegacyRecord, findVerificationRecord, getImportedPrefixes } from "./records";
import { MAX_SHARED_LEGACY_PREFIX } from "./import";
import { escapeLike, readKeySearch } from "./search";

/** A key as the management API shows it: state, open rotation and deadline, never the key. */
export async function getKeyOrThrow(id: string) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findUnique({
    where: { id },
    select: {
      ...keyViewSelect,
      organization: { select: { id: true, name: true } },
      rotations: { where: { openKeyId: { not: null } }, select: rotationViewSelect, take: 1 },
    },
  });
  if (!key) throw new NotFoundError("No such key.");
  const { rotations, ...rest } = key;
  return { ...rest, openRotation: rotations[0] ?? null };
}

export const KEY_PAGE_SIZE = 50;

export const KEY_SORTS = ["attention", "created", "age", "lastUsed", "organization", "deadline", "status"] as const;
export type KeySort = (typeof KEY_SORTS)[number];

export interface KeyListFilters {
  status?: "active" | "expiring" | "revoked" | "expired";
  environment?: "live" | "test";
  organizationId?: string;
  /** Only keys in use whose age is past their policy's max age. */
  overdue?: boolean;
  /** A search (lib/keys/search.ts): a prefix, or part of a key's or its organization's name. */
  q?: string;
  sort?: KeySort;
  dir?: "asc" | "desc";
  page?: number;
}

export interface KeyListRow {
  id: string;
  prefix: string;
  name: string;
  environment: "live" | "test";
  status: "active" | "expiring" | "revoked" | "expired";
  createdAt: Date;
  lastUsedAt: Date | null;
  organizationId: string;
  organization: string;
  maxAgeDays: number;
  rotationState: string | null;
  scheduledAt: Date | null;
  graceEndsAt: Date | null;
}

/**
 * "Needs attention", the keys list's default order, in four tiers:
 *   0. in use (active or expiring) and past its policy's max age: the longest overdue first;
 *   1. an open rotation (scheduled or in grace), not past max age: the soonest
 *      deadline first (the grace deadline, or the scheduled start);
 *   2. the other keys in use: the nearest to its max age first, so old keys
 *      still in use near the day policy rotates them come before new ones;
 *   3. revoked and expired keys: the newest first.
 * Its direction is fixed. Each tier is read in an order an index serves
 * (per organization by creation time, whose policy makes "due" a constant
 * shift of it; open rotations; recent revocations), at most a page past the
 * offset each, and only those candidates are merged: sorting every key by a
 * computed "due" cost a page ~400 ms at 100k keys.
 */
function attentionPageSql(where: string[], filterNeedsPolicy: boolean, nowParam: string, limit: number, offset: number) {
  const inUse = `k.status IN ('active', 'expiring')`;
  // Per organization, its max age and cutoff are constants of the outer row, so (organizationId, createdAt) serves the scan.
  const maxAge = `make_interval(days => COALESCE(pp."maxAgeDays", (SELECT "maxAgeDays" FROM rotation_policies WHERE "isDefault" ORDER BY "createdAt" LIMIT 1), 90))`;
  const policyJoin = `JOIN organizations o ON o.id = k."organizationId" LEFT JOIN rotation_policies p ON p.id = o."policyId"`;
  const cond = (...c: string[]) => [...where, ...c].join(" AND ");
  const n = offset + limit;
  const perOrganization = (tier: number, ...c: string[]) => `
    SELECT t.id, ${tier} AS tier, t.created + ${maxAge} AS due, t.created
    FROM organizations po LEFT JOIN rotation_policies pp ON pp.id = po."policyId" CROSS JOIN LATERAL (
      SELECT k.id, k."createdAt" AS created FROM api_keys k ${filterNeedsPolicy ? policyJoin : ""}
      WHERE ${cond(`k."organizationId" = po.id`, inUse, ...c)}
      ORDER BY k."createdAt", k.id LIMIT ${n}) t`;
  const cutoff = `${nowParam}::timestamptz - ${maxAge}`;
  const keyCutoff = `${nowParam}::timestamptz - make_interval(days => ${MAX_AGE})`;
  return `
    SELECT a.id FROM (
      (${perOrganization(0, `k."createdAt" <= ${cutoff}`)})
      UNION ALL
      (SELECT k.id, 1, COALESCE(r."graceEndsAt", r."scheduledAt"), k.created
       FROM rotations r CROSS JOIN LATERAL (
         -- OFFSET 0 keeps this a per-rotation lookup by primary key, not a scan of every key.
         SELECT k.id, k."createdAt" AS created FROM api_keys k ${policyJoin}
         WHERE ${cond(`k.id = r."openKeyId"`, inUse, `k."createdAt" > ${keyCutoff}`)} OFFSET 0) k
       WHERE r."openKeyId" IS NOT NULL
       ORDER BY 3, k.created DESC, k.id LIMIT ${n})
      UNION ALL
      (${perOrganization(2, `k."createdAt" > ${cutoff}`, `NOT EXISTS (SELECT 1 FROM rotations r WHERE r."openKeyId" = k.id)`)})
      UNION ALL
      ${(["revoked", "expired"] as const)
        .map(
          // One index range of (status, createdAt) per status: an IN list would not come out in order.
          (status) => `(SELECT k.id, 3, NULL::timestamptz, k."createdAt" FROM api_keys k ${filterNeedsPolicy ? policyJoin : ""}
            WHERE ${cond(`k.status = '${status}'`)}
            ORDER BY k."createdAt" DESC, k.id LIMIT ${n})`,
        )
        .join(" UNION ALL ")}
    ) a (id, tier, due, created)
    ORDER BY a.tier, a.due ASC NULLS LAST, a.created DESC, a.id
    LIMIT ${limit} OFFSET ${offset}`;
}

// Whitelisted ORDER BY expressions: the sort key never reaches SQL as text.
const ORDER: Record<KeySort, string> = {
  attention: "", // attentionPageSql
  created: `k."createdAt" DESC`,
  age: `k."createdAt" ASC`,
  lastUsed: `k."lastUsedAt" DESC NULLS LAST`,
  organization: `o.name ASC`,
  deadline: `COALESCE(r."graceEndsAt", r."scheduledAt") ASC NULLS LAST`,
  status: `k.status ASC`,
};

/**
 * The WHERE clause of a key filter, with its parameters: the one definition
 * the keys table and bulk actions share. `needsPolicy` says the filter reads
 * the organization's policy (join organizations o, rotation_policies p).
 */
export function keyFilterSql(filters: Omit<KeyListFilters, "sort" | "dir" | "page">, now: Date, params: unknown[] = []) {
  const where: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filters.status) where.push(`k.status = ${param(filters.status)}::"KeyStatus"`);
  if (filters.environment) where.push(`k.environment = ${param(filters.environment)}::"Environment"`);
  if (filters.organizationId) where.push(`k."organizationId" = ${param(filters.organizationId)}`);
  if (filters.overdue) {
    where.push(`k.status IN ('active', 'expiring')`);
    where.push(`k."createdAt" <= ${param(now)}::timestamptz - make_interval(days => ${MAX_AGE})`);
  }
  const search = readKeySearch(filters.q);
  if (search?.kind === "prefix") {
    // starts-with (^@), which the SP-GiST index on prefix serves under any collation.
    where.push(`k.prefix ^@ ${param(search.prefix)}`);
  } else if (search?.kind === "text") {
    // Organizations are few: their matches are found first and the keys by organization index. The start of a
    // display prefix too: an imported key's prefix is the earlier system's (sk_live_…), not one readKeySearch knows.
    const pattern = param(`%${escapeLike(search.text)}%`);
    where.push(
      `(k.name ILIKE ${pattern} OR k.prefix ^@ ${param(search.text)} OR k."organizationId" IN (SELECT id FROM organizations WHERE name ILIKE ${pattern}))`,
    );
  }
  return { where, params, needsPolicy: !!filters.overdue };
}

/**
 * A page of keys with organization, policy max age and open rotation;
 * filtered, sorted and paged in the database (one query for the page, one
 * for the count), so it stays fast at 100k keys.
 */
export async function listKeys(filters: KeyListFilters, now: Date) {
  const prisma = await getPrisma();
  const { where, params, needsPolicy: filterNeedsPolicy } = keyFilterSql(filters, now);
  const countParams = params.length;
  const whereSql = where.length ? `WHERE ${where.join(" AND ")}` : "";
  const sort = filters.sort ?? "attention";
  const flip = sort !== "attention" && filters.dir && (filters.dir === "asc") !== ORDER[sort].includes("ASC");
  const order = flip ? ORDER[sort].replace(/\b(ASC|DESC)\b/, (d) => (d === "ASC" ? "DESC" : "ASC")) : ORDER[sort];
  const page = Math.max(1, Math.floor(filters.page ?? 1));
  // Page the key ids first, joining only what a filter or the sort needs;
  // then fetch the shown columns for those 50 rows. Joining every matching
  // key before sorting cost a deep page ~300 ms at 100k keys.
  const needsPolicy = filterNeedsPolicy || sort === "organization";
  const needsRotation = sort === "deadline";
  const from = `
    FROM api_keys k
    ${needsPolicy ? `JOIN organizations o ON o.id = k."organizationId" LEFT JOIN rotation_policies p ON p.id = o."policyId"` : ""}
    ${needsRotation ? `LEFT JOIN rotations r ON r."openKeyId" = k.id` : ""}`;
  const [rows, count] = await Promise.all([
    prisma.$queryRawUnsafe<KeyListRow[]>(
      `WITH paged AS (
         -- row_number over the already ordered, limited rows keeps their order for the outer query.
         SELECT k.id, row_number() OVER () AS n FROM (
           ${
             sort === "attention"
               ? attentionPageSql(where, filterNeedsPolicy, `$${params.push(now)}`, KEY_PAGE_SIZE, (page - 1) * KEY_PAGE_SIZE)
               : `SELECT k.id ${from} ${whereSql} ORDER BY ${order}, k.id LIMIT ${KEY_PAGE_SIZE} OFFSET ${(page - 1) * KEY_PAGE_SIZE}`
           }
         ) k
       )
       SELECT k.id, k.prefix, k.name, k.environment::text AS environment, k.status::text AS status, k."createdAt", k."lastUsedAt",
              k."organizationId", o.name AS organization, ${MAX_AGE} AS "maxAgeDays",
              r.state::text AS "rotationState", r."scheduledAt", r."graceEndsAt"
       FROM paged JOIN api_keys k ON k.id = paged.id
       JOIN organizations o ON o.id = k."organizationId"
       LEFT JOIN rotation_policies p ON p.id = o."policyId"
       LEFT JOIN rotations r ON r."openKeyId" = k.id
       ORDER BY paged.n`,
      ...params,
    ),
    // The count needs no join (a filter's own joins aside) and not the sort's parameter.
    prisma.$queryRawUnsafe<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM api_keys k ${filterNeedsPolicy ? `JOIN organizations o ON o.id = k."organizationId" LEFT JOIN rotation_policies p ON p.id = o."policyId"` : ""} ${whereSql}`,
      ...params.slice(0, countParams),
    ),
  ]);
  return {
    keys: rows,
    total: count[0]?.n ?? 0,
    page,
    pageSize: KEY_PAGE_SIZE,
    sort,
    dir: (sort === "attention" ? "asc" : flip ? filters.dir! : ORDER[sort].includes("ASC") ? "asc" : "desc") as "asc" | "desc",
  };
}

/**
 * The id of the key a pasted full key is, found by its keyed hash under each
 * configured hashing secret version (as verification finds it), or null.
 * The key itself is only hashed: it is not stored, logged or returned.
 */
export async function findKeyIdByFullKey(presented: string): Promise<string | null> {
  const record = await findVerificationRecord(presented);
  return record?.keyId ?? null;
}

/**
 * A pasted text that starts with an imported key's display prefix (the
 * earlier system's shape, which readKeySearch cannot know): that prefix, so
 * the rest of the text (maybe the secret part of a key) goes no further, and
 * the key's id when the text is that key (on its legacy hash or upgraded).
 * Null when no imported prefix starts it.
 */
export async function findImportedKeyBySearch(text: string): Promise<{ prefix: string; keyId: string | null } | null> {
  if (text.length < 7 || text.length > 512 || /\s/.test(text)) return null;
  const heads: string[] = [];
  for (let n = 6; n < Math.min(text.length, 65); n++) heads.push(text.slice(0, n));
  const prefixes = await getImportedPrefixes(heads);
  if (prefixes.length === 0) return null;
  const prefix = prefixes.reduce((a, b) => (b.length > a.length ? b : a));
  const record = (await findVerificationRecord(text)) ?? (await findLegacyRecord(text, prefixes, MAX_SHARED_LEGACY_PREFIX));
  return { prefix, keyId: record?.keyId ?? null };
}

// A key's max age: its organization's policy, else the default policy, else DOMAIN.md's 90 days.
const MAX_AGE = `COALESCE(p."maxAgeDays", (SELECT "maxAgeDays" FROM rotation_policies WHERE "isDefault" ORDER BY "createdAt" LIMIT 1), 90)`;

/** Organizations for the keys table's filter. */
export async function listOrganizationNames() {
  const prisma = await getPrisma();
  return prisma.organization.findMany({ where: { deletedAt: null }, orderBy: { name: "asc" }, select: { id: true, name: true } });
}

/** A key with its organization, policy, rotations, predecessor and successors, for its detail page. */
export async function getKeyDetail(id: string) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findUnique({
    where: { id },
    select: {
      ...keyViewSelect,
      importedAt: true,
      legacyAlgorithm: true,
      organization: { select: { id: true, name: true, timeZone: true, policy: { select: { name: true, maxAgeDays: true } } } },
      predecessor: { select: { id: true, prefix: true, status: true } },
      successors: { select: { id: true, prefix: true, status: true, createdAt: true }, orderBy: { createdAt: "desc" } },
      rotations: { select: rotationViewSelect, orderBy: { createdAt: "desc" } },
    },
  });
  return key;
}

/** The key's history from the audit trail: its own events and its rotations', oldest first. */
export async function getKeyTimeline(keyId: string, rotationIds: string[]) {
  const prisma = await getPrisma();
  return prisma.auditEvent.findMany({
    where: { OR: [{ keyId }, ...(rotationIds.length ? [{ rotationId: { in: rotationIds } }] : [])] },
    orderBy: { seq: "asc" },
    take: 500,
    select: { seq: true, at: true, actor: true, action: true, keyFingerprint: true, reason: true, outcome: true },
  });
}

/**
 * Verifications per hour of an old key and its successor over the last
 * `hours` hours, every hour present (zero when unused), for the migration chart.
 */
export async function getMigrationSeries(oldKeyId: string, successorId: string | null, now: Date, hours = 48) {
  const prisma = await getPrisma();
  const HOUR = 3_600_000;
  const end = Math.floor(now.getTime() / HOUR) * HOUR;
  const start = new Date(end - (hours - 1) * HOUR);
  const rows = await prisma.keyUsageHourly.findMany({
    where: { keyId: { in: successorId ? [oldKeyId, successorId] : [oldKeyId] }, hour: { gte: start } },
    select: { keyId: true, hour: true, verifications: true },
  });
  const at = new Map(rows.map((r) => [`${r.keyId}|${r.hour.getTime()}`, r.verifications]));
  return Array.from({ length: hours }, (_, i) => {
    const hour = start.getTime() + i * HOUR;
    return {
      hour: new Date(hour).toISOString(),
      oldKey: at.get(`${oldKeyId}|${hour}`) ?? 0,
      newKey: successorId ? (at.get(`${successorId}|${hour}`) ?? 0) : 0,
    };
  });
}

/** A key list cursor: the last id of a page, opaque to the caller (base64url of a small JSON). */
function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ after: id })).toString("base64url");
}

function decodeCursor(cursor: string): string {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown };
    if (typeof value.after === "string" && value.after.length > 0 && value.after.length <= 100 && !value.after.includes("\0")) return value.after;
  } catch {
    // Not ours: said below.
  }
  throw new ValidationError("cursor: must be the nextCursor of a previous page", "cursor");
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of the management API's key search, in id order (stable under
 * inserts: a key issued meanwhile lands before or after the cursor, never
 * twice), with the cursor of the next page or null after the last.
 * Keyset paging: a page costs the same at the millionth key as at the first.
 */
export async function searchKeys(input: KeySearchInput) {
  const q = parseInput(keySearchSchema, input);
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const prisma = await getPrisma();
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (q.organizationId) where.push(`k."organizationId" = ${param(q.organizationId)}`);
  if (q.externalId) where.push(`k."externalId" = ${param(q.externalId)}`);
  if (q.status) where.push(`k.status = ${param(q.status)}::"KeyStatus"`);
  if (q.prefix) where.push(`k.prefix LIKE ${param(`${likeLiteral(q.prefix)}%`)}`);
  if (q.name) where.push(`k.name ILIKE ${param(`%${likeLiteral(q.name)}%`)}`);
  if (after) where.push(`k.id > ${param(after)}`);
  const rows = await prisma.$queryRawUnsafe<{ id: string }[]>(
    `SELECT k.id FROM api_keys k ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY k.id LIMIT ${param(q.limit + 1)}`,
    ...params,
  );
  const ids = rows.slice(0, q.limit).map((r) => r.id);
  const keys = ids.length ? await prisma.apiKey.findMany({ where: { id: { in: ids } }, select: keyViewSelect, orderBy: { id: "asc" } }) : [];
  return { keys, nextCursor: rows.length > q.limit ? encodeCursor(ids[ids.length - 1]) : null };
}

/** Every rotation of a key, newest first (a key has a handful). */
export async function listKeyRotations(keyId: string) {
  const prisma = await getPrisma();
  const key = await prisma.apiKey.findUnique({ where: { id: keyId }, select: { id: true } });
  if (!key) throw new NotFoundError("No such key.");
  return prisma.rotation.findMany({ where: { keyId }, select: rotationViewSelect, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
}
