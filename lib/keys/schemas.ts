import { z } from "zod";
import { externalIdSchema, metadataSchema } from "../validation";

export const SCOPE_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

export const issueKeySchema = z.object({
  organizationId: z.uuid("must be an organization id"),
  environment: z.enum(["live", "test"], "must be live or test"),
  name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
  scopes: z
    .array(z.string().max(64, "each scope must be at most 64 characters").regex(SCOPE_PATTERN, "each scope must look like read:orders"))
    .max(100)
    .default([]),
  rateLimit: z.int("must be a whole number").min(1, "must be at least 1").max(1_000_000).default(1000),
  expiresAt: z.coerce.date("must be a date").optional(),
  externalId: externalIdSchema.optional(),
  metadata: metadataSchema.default({}),
});
export type IssueKeyInput = z.input<typeof issueKeySchema>;

/**
 * A change to a key (PATCH): any of these fields, at least one. `null`
 * clears an expiry or an external id. The environment, organization and
 * status are not edited: a key changes those only by rotation or revocation.
 */
export const updateKeySchema = z
  .object({
    name: issueKeySchema.shape.name.optional(),
    scopes: z
      .array(z.string().max(64, "each scope must be at most 64 characters").regex(SCOPE_PATTERN, "each scope must look like read:orders"))
      .max(100)
      .optional(),
    rateLimit: z.int("must be a whole number").min(1, "must be at least 1").max(1_000_000).optional(),
    expiresAt: z.coerce.date("must be a date").nullable().optional(),
    externalId: externalIdSchema.nullable().optional(),
    metadata: metadataSchema.optional(),
  })
  .strict()
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "says nothing to change: send name, scopes, rateLimit, expiresAt, externalId or metadata",
    path: ["name"],
  });
export type UpdateKeyInput = z.input<typeof updateKeySchema>;

export const revokeKeySchema = z.object({
  keyId: z.string().min(1, "is required"),
  reason: z
    .string("is required: say why the key is revoked")
    .trim()
    .min(1, "is required: say why the key is revoked")
    .max(1000, "must be at most 1000 characters"),
});

/** The keys table's URL state; anything unrecognised falls back to the default rather than failing the page. */
export const keyListQuerySchema = z.object({
  status: z.enum(["active", "expiring", "revoked", "expired"]).optional().catch(undefined),
  environment: z.enum(["live", "test"]).optional().catch(undefined),
  org: z.string().max(100).optional().catch(undefined),
  overdue: z.literal("1").optional().catch(undefined),
  /** A search: a prefix, or part of a key's or organization's name (lib/keys/search.ts); never a full key. */
  q: z.string().max(200).optional().catch(undefined),
  /** Set after a pasted full key matched no key: the page says so (the key itself is not in the URL). */
  nokey: z.literal("1").optional().catch(undefined),
  sort: z.enum(["attention", "created", "age", "lastUsed", "organization", "deadline", "status"]).optional().catch(undefined),
  dir: z.enum(["asc", "desc"]).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100_000).optional().catch(undefined),
});

/** The search form's POST: the search text (which may be a pasted full key) and the list's filters to keep. */
export const keySearchFormSchema = keyListQuerySchema.pick({ status: true, environment: true, org: true, overdue: true, sort: true, dir: true }).extend({
  q: z.string().max(1000).optional().catch(undefined),
});

/** The most keys one page of the management API's list holds. */
export const KEY_LIST_MAX_LIMIT = 200;

/**
 * The management API's key search (GET /api/v1/keys): filters combine (AND);
 * `prefix` matches the start of the display prefix, `name` any part of the
 * name (case-insensitive); `cursor` is the `nextCursor` of the page before.
 */
export const keySearchSchema = z
  .object({
    organizationId: z.string().max(100, "must be at most 100 characters").optional(),
    externalId: z.string().max(255, "must be at most 255 characters").optional(),
    status: z.enum(["active", "expiring", "revoked", "expired"], "must be active, expiring, revoked or expired").optional(),
    prefix: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters").optional(),
    name: z.string().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
    cursor: z.string().max(200, "must be the nextCursor of a previous page").optional(),
    limit: z.coerce
      .number("must be a number")
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(KEY_LIST_MAX_LIMIT, `must be at most ${KEY_LIST_MAX_LIMIT}`)
      .default(50),
  })
  .strict();
export type KeySearchInput = z.input<typeof keySearchSchema>;
