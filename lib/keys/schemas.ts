import { z } from "zod";

export const SCOPE_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;

export const issueKeySchema = z.object({
  organizationId: z.uuid("must be an organization id"),
  environment: z.enum(["live", "test"], "must be live or test"),
  name: z.string().trim().min(1, "is required").max(200, "must be at most 200 characters"),
  scopes: z.array(z.string().regex(SCOPE_PATTERN, "each scope must look like read:orders")).max(100).default([]),
  rateLimit: z.int("must be a whole number").min(1, "must be at least 1").max(1_000_000).default(1000),
  expiresAt: z.coerce.date("must be a date").optional(),
});
export type IssueKeyInput = z.input<typeof issueKeySchema>;

export const revokeKeySchema = z.object({
  keyId: z.string().min(1, "is required"),
  reason: z.string().trim().min(1, "is required").max(1000),
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
