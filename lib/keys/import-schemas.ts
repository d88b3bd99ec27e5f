import { z } from "zod";
import { externalIdSchema, metadataSchema } from "../validation";
import { SCOPE_PATTERN } from "./schemas";

/**
 * The hashes an earlier key system may have stored, as `npm run keys:import`
 * takes them (lib/keys/import.ts), and the check of a presented key against
 * one. rekey never needs the plaintext to import a key: the first successful
 * verification proves it and moves the key to rekey's keyed hash.
 *
 * - `sha256`: SHA-256 of the key, hex (64 characters) or base64 (44, as
 *   Unkey stores it).
 * - `bcrypt`: a modular crypt string ($2a$, $2b$ or $2y$, cost 4–31).
 * - `argon2`: a PHC string ($argon2id$, $argon2i$ or $argon2d$).
 * - `scrypt`: the derived key (hex or base64) with its parameters: salt
 *   (base64), N, r, p.
 */
export const LEGACY_ALGORITHMS = ["sha256", "bcrypt", "argon2", "scrypt"] as const;
export type LegacyAlgorithm = (typeof LEGACY_ALGORITHMS)[number];

/** How the key page and the API name an algorithm. */
export const LEGACY_ALGORITHM_LABEL: Record<LegacyAlgorithm, string> = { sha256: "SHA-256", bcrypt: "bcrypt", argon2: "Argon2", scrypt: "scrypt" };

const HEX_64 = /^[0-9a-f]{64}$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

export const scryptParamsSchema = z
  .object({
    salt: z.string("is required (base64)").regex(BASE64, "must be base64").max(256),
    N: z
      .int("must be a whole number")
      .min(2)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, "must be a power of two"),
    r: z.int("must be a whole number").min(1).max(32),
    p: z.int("must be a whole number").min(1).max(16),
  })
  .strict();
export type ScryptParams = z.infer<typeof scryptParamsSchema>;

/** A legacy hash as imported: the algorithm, the stored value, and scrypt's parameters. */
export const legacyHashSchema = z
  .object({
    algorithm: z.enum(LEGACY_ALGORITHMS, `must be one of ${LEGACY_ALGORITHMS.join(", ")}`),
    value: z.string("is required").min(1, "is required").max(512, "must be at most 512 characters"),
    params: scryptParamsSchema.optional(),
  })
  .strict()
  .superRefine((h, ctx) => {
    const bad = (message: string, path = "value") => ctx.addIssue({ code: "custom", message, path: [path] });
    switch (h.algorithm) {
      case "sha256":
        if (!HEX_64.test(h.value) && !(h.value.length === 44 && BASE64.test(h.value))) bad("a sha256 hash is 64 hex characters or 44 base64 characters");
        break;
      case "bcrypt":
        if (!BCRYPT.test(h.value)) bad("a bcrypt hash looks like $2b$10$ followed by 53 characters");
        break;
      case "argon2":
        if (!ARGON2.test(h.value)) bad("an argon2 hash is a PHC string such as $argon2id$v=19$m=19456,t=2,p=1$salt$hash");
        break;
      case "scrypt":
        if (!h.params) bad("scrypt needs its parameters: salt (base64), N, r and p", "params");
        if (!HEX_64.test(h.value) && !/^[0-9a-f]+$/i.test(h.value) && !BASE64.test(h.value)) bad("a scrypt hash is the derived key in hex or base64");
        break;
    }
    if (h.algorithm !== "scrypt" && h.params) bad(`${h.algorithm} takes no params`, "params");
  });
export type LegacyHash = z.infer<typeof legacyHashSchema>;

/** How many keys one import request (or one batch of `npm run keys:import`) carries. */
export const MAX_IMPORT_BATCH = 1000;
/** The highest `firstLine` a batch may give: its last line still fits a 32-bit line number. */
export const MAX_FIRST_LINE = 2 ** 31 - MAX_IMPORT_BATCH;

/** One key to import (lib/keys/import.ts). */
const date = z.coerce.date("must be a date (ISO 8601)");

export const importLineSchema = z
  .object({
    organization: z
      .object({
        externalId: externalIdSchema,
        /** Used when the organization is created; by default its external id. */
        name: z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
      })
      .strict(),
    name: z.string("is required").trim().min(1, "is required").max(200, "must be at most 200 characters"),
    environment: z.enum(["live", "test"], "must be live or test").default("live"),
    prefix: z
      .string("is required: the key's first characters, as shown to the customer")
      .min(6, "must be at least 6 characters (a key is found by it until its first use)")
      .max(64, "must be at most 64 characters")
      .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
    hash: legacyHashSchema,
    scopes: z
      .array(z.string().max(64, "each scope must be at most 64 characters").regex(SCOPE_PATTERN, "each scope must look like read:orders"))
      .max(100)
      .default([]),
    rateLimit: z.int("must be a whole number").min(1, "must be at least 1").max(1_000_000).default(1000),
    createdAt: date,
    lastUsedAt: date.nullable().optional(),
    expiresAt: date.nullable().optional(),
    externalId: externalIdSchema.nullable().optional(),
    metadata: metadataSchema.default({}),
  })
  .strict();
export type ImportLine = z.input<typeof importLineSchema>;

/**
 * The management API's import request: the lines (each checked on its own
 * by importKeys, so one bad line is refused and the rest go on) and the
 * line of the caller's file the first one came from.
 */
export const importRequestSchema = z
  .object({
    keys: z.array(z.unknown(), `must be an array of at most ${MAX_IMPORT_BATCH} keys`),
    firstLine: z
      .int(`must be a whole number from 1 to ${MAX_FIRST_LINE.toLocaleString("en-US")} (the line of the file the first key came from)`)
      .min(1, `must be a whole number from 1 to ${MAX_FIRST_LINE.toLocaleString("en-US")} (the line of the file the first key came from)`)
      .max(MAX_FIRST_LINE, `must be a whole number from 1 to ${MAX_FIRST_LINE.toLocaleString("en-US")} (the line of the file the first key came from)`)
      .default(1),
  })
  .strict();
