import { z } from "zod";

/**
 * rekey's configuration: every environment variable it reads, declared once
 * with its type, default and meaning. Code reads a setting with
 * `env("NAME")` (typed, validated, defaulted), never `process.env.NAME`
 * (tests/config-docs.test.ts fails on one); the README's configuration table
 * and `.env.example` are generated from this list (`npm run config:docs`)
 * and a test fails when they differ from it.
 *
 * A setting is read when it is used, not once at start: tests change
 * process.env as they go, and a value is re-parsed only when it changed.
 * An empty variable counts as unset. A bad value throws a ConfigError that
 * names the variable and what it must be (never the value of a secret);
 * `checkConfiguration()` collects every one at once, for `npm start`.
 *
 * Settings whose meaning spans several variables (the hashing secrets, the
 * key format, the backup schedule's defaults) are checked further by the
 * module that owns them (lib/secret.ts, lib/keys/key-format.ts,
 * lib/backup/schedule.ts); here each variable is one typed value.
 */

/** Names to values: process.env, or a test's own environment. */
export type Environment = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Where the setting is explained in the README's table and .env.example, in this order. */
const GROUPS = {
  database: "Database and data folder",
  secrets: "rekey's own secrets",
  keys: "Key format",
  server: "Serving",
  people: "First admin and demo",
  cron: "Cron, backups and the audit chain",
  mail: "Email and links",
  api: "API credentials and the network",
  import: "npm run keys:import",
} as const;
type Group = keyof typeof GROUPS;

interface SettingSpec<S extends z.ZodType, D> {
  /** Parses the raw string (trimmed of nothing: a secret keeps its spaces). */
  schema: S;
  /** Applied when the variable is unset or empty; absent: the code decides (often from other settings). */
  default?: D;
  group: Group;
  /** What it does, for a person; markdown (backticks). One or two sentences. */
  doc: string;
  /** A value for .env.example (commented out); absent: left empty there. */
  example?: string;
  /** Never echoed in an error. */
  secret?: boolean;
}

function setting<S extends z.ZodType, D extends z.output<S> | undefined = undefined>(spec: SettingSpec<S, D>): SettingSpec<S, D> {
  return spec;
}

const text = z.string();
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);
const number = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `must be a number of ${min} or more`)
    .transform(Number)
    .refine((n) => n >= min, `must be a number of ${min} or more`);
/** `1` or `0` (also `true`/`false`): a switch that is off unless turned on. */
const flag = z.enum(["1", "0", "true", "false"], { error: "must be 1 or 0" }).transform((v) => v === "1" || v === "true");
const onOff = z.enum(["on", "off"], { error: "must be on or off" });
const httpUrl = z
  .string()
  .trim()
  .refine((v) => {
    try {
      return ["http:", "https:"].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL");
const urlWith = (protocols: string[], say: string) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, say);
const list = z.string().transform((v) => v.split(/[\s,]+/).filter(Boolean));

export const SETTINGS = {
  // ── Database and data folder
  DATABASE_URL: setting({
    schema: urlWith(["postgres:", "postgresql:"], "must be a postgresql:// URL"),
    group: "database",
    secret: true,
    doc: "A PostgreSQL server (production, several instances). Unset: the embedded PostgreSQL (PGlite) in `./data`.",
    example: "postgresql://rekey:secret@db.internal:5432/rekey",
  }),
  REKEY_DB_POOL: setting({
    schema: wholeNumber(1, 1000),
    default: 10,
    group: "database",
    doc: "Connections each instance keeps to a PostgreSQL server.",
    example: "10",
  }),
  REKEY_DATA_DIR: setting({
    schema: text,
    default: "data",
    group: "database",
    doc: "Where the embedded database, its generated secrets, the bootstrap token, mail and backups live.",
    example: "./data",
  }),
  REKEY_ROOT: setting({
    schema: text,
    group: "database",
    doc: "The folder rekey's own files are read from (migrations, fonts) when the process runs elsewhere (default the working directory).",
    example: "/srv/rekey",
  }),
  REKEY_REVOCATION_JOURNAL: setting({
    schema: text,
    group: "database",
    doc: 'The revocation journal, outside the database (default `revocation-journal.jsonl` in the data folder): a restored backup re-applies every revocation in it. See "Backups and restore".',
    example: "./data/revocation-journal.jsonl",
  }),
  // ── rekey's own secrets
  REKEY_SECRETS: setting({
    schema: text,
    group: "secrets",
    secret: true,
    doc: 'The hashing secrets keying the HMAC under which keys and management tokens are stored: `version:secret` pairs separated by commas (each secret ≥ 32 characters, no commas or spaces), the current one marked with a leading `*`, e.g. `1:<old>,*2:<new>`. The same on every instance. One of `REKEY_SECRETS`, `REKEY_SECRETS_FILE` or `REKEY_SECRET` is required with `DATABASE_URL`. Unset on the embedded database: generated once into `./data/secrets`. Rotating: "Rotating rekey\'s own secrets".',
    example: "1:old-secret-at-least-32-characters-long,*2:new-secret-at-least-32-characters-long",
  }),
  REKEY_SECRETS_FILE: setting({
    schema: text,
    group: "secrets",
    doc: "The same list read from a file (one pair a line, `#` comments), e.g. a mounted secret.",
    example: "/run/secrets/rekey-hashing",
  }),
  REKEY_SECRET: setting({
    schema: text,
    group: "secrets",
    secret: true,
    doc: "An older configuration's single hashing secret: version 1. Still accepted alone; to rotate, move it into `REKEY_SECRETS` as `1:`.",
  }),
  REKEY_SECRET_LINGER_DAYS: setting({
    schema: wholeNumber(1, 3650),
    default: 30,
    group: "secrets",
    doc: "Days an old hashing secret version may still hold keys in use after a newer one became current, before the cron raises an alert.",
    example: "30",
  }),
  NEXTAUTH_SECRET: setting({
    schema: text,
    group: "secrets",
    secret: true,
    doc: "Signs session cookies: a secret of its own, never the hashing secret. Required with `DATABASE_URL` and `REKEY_SECRETS`; an install that has only `REKEY_SECRET` keeps the secret derived from it until this is set. Unset on the embedded database: generated once into `./data/session-secret`.",
  }),
  NEXTAUTH_SECRET_PREVIOUS: setting({
    schema: list,
    default: [],
    group: "secrets",
    secret: true,
    doc: "Previous session secrets (comma-separated), still accepted when reading a cookie during a rotation's overlap (remove after 8 hours).",
  }),
  REKEY_DATA_SECRET: setting({
    schema: text,
    group: "secrets",
    secret: true,
    doc: "Seals staff multi-factor secrets (TOTP seeds) and keys the hashes of recovery codes: its own secret (≥ 32 characters). Required with `DATABASE_URL`, the same on every instance. Unset on the embedded database: generated once into `./data/data-secret`.",
  }),
  REKEY_DATA_SECRET_PREVIOUS: setting({
    schema: list,
    default: [],
    group: "secrets",
    secret: true,
    doc: "Previous data secrets (comma-separated) during a rotation of `REKEY_DATA_SECRET`: what they sealed still opens and moves to the current one at its next use.",
  }),
  REKEY_CHECKPOINT_KEY: setting({
    schema: z.string().transform((v) => v.replace(/\\n/g, "\n")),
    group: "secrets",
    secret: true,
    doc: "The Ed25519 private key (PKCS#8 PEM; `\\n` for line breaks in one line) that signs audit checkpoints. Unset: generated once into `./data/checkpoint-key.pem`. Share it between instances.",
  }),
  // ── Key format
  REKEY_KEY_PREFIX_LIVE: setting({
    schema: text,
    group: "keys",
    doc: 'What a live key starts with (default `rk_live_`): 1–32 of `A–Z a–z 0–9 _ -`. See "Your own key format"; set before issuing keys.',
    example: "rk_live_",
  }),
  REKEY_KEY_PREFIX_TEST: setting({
    schema: text,
    group: "keys",
    doc: "The same for test keys (default `rk_test_`). The two must differ and neither may be the start of the other; neither may start with `rkm_`.",
    example: "rk_test_",
  }),
  REKEY_KEY_RANDOM_BYTES: setting({
    schema: text, // a number: checked with the other three by lib/keys/key-format.ts, under the verifier package's rules
    group: "keys",
    doc: "Random bytes in a new key, 16–64 (default 32), written in base62.",
    example: "32",
  }),
  REKEY_KEY_CHECKSUM: setting({
    schema: text, // crc32 or none: checked by lib/keys/key-format.ts
    group: "keys",
    doc: "`crc32` (the default): a key ends with a checksum, so noise is refused without a database lookup. `none`: only prefix, length and alphabet are checked.",
    example: "crc32",
  }),
  // ── Serving
  PORT: setting({ schema: wholeNumber(1, 65535), default: 3000, group: "server", doc: "The port `npm start` serves on.", example: "3000" }),
  HOSTNAME: setting({ schema: text, default: "0.0.0.0", group: "server", doc: "The address `npm start` listens on.", example: "127.0.0.1" }),
  NEXTAUTH_URL: setting({
    schema: httpUrl,
    group: "server",
    doc: "The public URL of the app, for sign-in redirects (default `http://localhost:$PORT`). Its host name is also the passkeys' relying-party id (unless `REKEY_PUBLIC_URL` is set): a domain name, not an IP address.",
    example: "https://rekey.example.com",
  }),
  REKEY_PUBLIC_URL: setting({
    schema: httpUrl,
    group: "server",
    doc: "The app's public URL for links in emails and the API document's server (default `NEXTAUTH_URL`).",
    example: "https://rekey.example.com",
  }),
  REKEY_TRUST_PROXY: setting({
    schema: wholeNumber(0, 20),
    default: 0,
    group: "server",
    doc: "How many proxies in front of rekey you trust to append the caller's address to `X-Forwarded-For` (Express's numeric \"trust proxy\"). `0`: the caller is the connection's own address and a client's `X-Forwarded-For` is ignored, so nobody escapes a per-address limit by inventing one. `1`: one load balancer (the address it appended is used); `2` for a CDN in front of it, and so on. With it ≥ 1, that proxy's `X-Forwarded-Proto: https` also turns on HSTS.",
    example: "1",
  }),
  LOG_LEVEL: setting({
    schema: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"], { error: "must be trace, debug, info, warn, error, fatal or silent" }),
    group: "server",
    doc: "The log's level (default `info`, `silent` under tests). Logs are JSON lines (pino) on standard output.",
    example: "info",
  }),
  REKEY_SKIP_BUILD: setting({
    schema: flag,
    default: false,
    group: "server",
    doc: "`1`: `npm start` serves the existing `.next` build instead of building first (CI, and containers that built at image time).",
    example: "1",
  }),
  // ── First admin and demo
  REKEY_ADMIN_EMAIL: setting({
    schema: z.email({ error: "must be an email address" }),
    default: "admin@rekey.local",
    group: "people",
    doc: "The first admin, created when there is none.",
    example: "security-lead@example.com",
  }),
  REKEY_ADMIN_PASSWORD: setting({
    schema: text,
    group: "people",
    secret: true,
    doc: "The first admin's password. Unset: a generated one, printed once.",
  }),
  REKEY_DEMO: setting({
    schema: onOff,
    default: "on",
    group: "people",
    doc: "`off`: do not create the demo world on a fresh embedded database.",
    example: "off",
  }),
  REKEY_DEMO_PASSWORD: setting({
    schema: text,
    group: "people",
    secret: true,
    doc: "For tests: one password for the demo operator and auditor. Unset, each gets a generated password of their own.",
  }),
  // ── Cron, backups and the audit chain
  CRON_SECRET: setting({
    schema: text,
    group: "cron",
    secret: true,
    doc: "The bearer secret of `/api/cron`. Without it the route accepts no one; `npm start` makes one up for its own calls.",
  }),
  REKEY_CRON: setting({
    schema: onOff,
    default: "on",
    group: "cron",
    doc: "`off`: `npm start` does not call the cron itself (leave it to an outside scheduler).",
    example: "off",
  }),
  REKEY_CRON_INTERVAL_SECONDS: setting({
    schema: wholeNumber(1, 86_400),
    default: 60,
    group: "cron",
    doc: "How often `npm start` calls the cron, in seconds.",
    example: "60",
  }),
  REKEY_CHECKPOINT_MINUTES: setting({
    schema: wholeNumber(1, 10_080),
    default: 60,
    group: "cron",
    doc: "How often the cron signs the audit chain's head when it has moved, in minutes.",
    example: "60",
  }),
  REKEY_BACKUP_EVERY_HOURS: setting({
    schema: number(0),
    group: "cron",
    doc: 'Backups the running rekey takes from its cron: every N hours (default 24 on the embedded database, 0 = off on a server). See "Backups and restore".',
    example: "24",
  }),
  REKEY_BACKUP_DIR: setting({ schema: text, group: "cron", doc: "Where they go (default `backups` in the data folder).", example: "./data/backups" }),
  REKEY_BACKUP_KEEP: setting({ schema: wholeNumber(1, 10_000), default: 7, group: "cron", doc: "How many scheduled backups are kept.", example: "7" }),
  // ── Email and links
  SMTP_URL: setting({
    schema: urlWith(["smtp:", "smtps:"], "must be an smtp:// or smtps:// URL"),
    group: "mail",
    secret: true,
    doc: "Send email through this SMTP server (`smtp://user:pass@host:587`, `smtps://…`). Unset: `.eml` files in `./data/mail`, listed for admins on the Outbox page.",
    example: "smtp://user:password@mail.example.com:587",
  }),
  MAIL_FROM: setting({
    schema: z.string().regex(/@[^@\s>]+>?\s*$/, "must be an address, e.g. rekey <rekey@example.com>"),
    default: "rekey <rekey@localhost>",
    group: "mail",
    doc: "The sender of every email; its domain is also the Message-ID's.",
    example: "rekey <rekey@example.com>",
  }),
  // ── API credentials and the network
  REKEY_BOOTSTRAP_TOKEN: setting({
    schema: text,
    group: "api",
    secret: true,
    doc: "Accepted as a management API token, to automate a fresh install. Unset on the embedded database: generated into `./data/bootstrap-token`.",
  }),
  REKEY_VERIFY_TOKEN: setting({
    schema: text,
    group: "api",
    secret: true,
    doc: "A credential for the API company's servers. When set, `POST /api/v1/keys/verify` answers only callers sending `Authorization: Bearer $REKEY_VERIFY_TOKEN` (the key then goes in the body; 401 otherwise), so nobody else can test keys against rekey. In-process verifiers read `/api/v1/verifier/*` with it (management tokens work too). It reads verification records and nothing else.",
  }),
  METRICS_TOKEN: setting({
    schema: text,
    group: "api",
    secret: true,
    doc: "Bearer token for `/api/metrics` (management tokens work too).",
  }),
  REKEY_WEBHOOKS_ALLOW_PRIVATE: setting({
    schema: flag,
    default: false,
    group: "api",
    doc: "`1`: webhooks may go to private and loopback addresses and over plain `http://` (a receiver on your own network; tests). Unset: refused.",
    example: "1",
  }),
  REKEY_MANAGEMENT_RATE_LIMIT: setting({
    schema: wholeNumber(1, 1_000_000),
    default: 600,
    group: "api",
    doc: "Requests per minute each management token (and REKEY_VERIFY_TOKEN on `/api/v1/verifier/*`) may make, counted across instances; every answer says what is left in `RateLimit-*` headers, past it a 429. Verification (`POST /api/v1/keys/verify`) is not limited.",
    example: "600",
  }),
  REKEY_GITHUB_KEYS_URL: setting({
    schema: httpUrl,
    default: "https://api.github.com/meta/public_keys/secret_scanning",
    group: "api",
    doc: 'Where GitHub publishes the keys that sign secret-scanning reports. See "Leaked keys revoke themselves".',
    example: "https://api.github.com/meta/public_keys/secret_scanning",
  }),
  // ── npm run keys:import
  REKEY_URL: setting({
    schema: httpUrl,
    default: "http://localhost:3000",
    group: "import",
    doc: "`npm run keys:import`: the app's address (as `--url`).",
    example: "http://localhost:3000",
  }),
  REKEY_TOKEN: setting({
    schema: text,
    group: "import",
    secret: true,
    doc: "`npm run keys:import`: a management token (as `--token`; else `REKEY_BOOTSTRAP_TOKEN`).",
  }),
};

type Settings = typeof SETTINGS;
export type SettingName = keyof Settings;
/** A setting's value: its schema's output, never undefined when it has a default. */
export type SettingValue<K extends SettingName> =
  Settings[K] extends SettingSpec<infer S, infer D> ? (D extends undefined ? z.output<S> | undefined : z.output<S>) : never;

export const SETTING_GROUPS = GROUPS;

const cache = new Map<string, { raw: string | undefined; value: unknown }>();

function parse(name: SettingName, raw: string | undefined): unknown {
  const spec = SETTINGS[name] as SettingSpec<z.ZodType, unknown>;
  if (raw === undefined || raw === "") return spec.default;
  const parsed = spec.schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues[0]?.message ?? "is not valid";
  throw new ConfigError(name, `${name} ${why}${spec.secret ? "" : ` (it is "${raw}")`}.`);
}

/** One setting, typed and validated (lib/env.ts's SETTINGS says what it may be); `source` defaults to process.env. */
export function env<K extends SettingName>(name: K, source: Environment = process.env): SettingValue<K> {
  const raw = source[name];
  if (source !== process.env) return parse(name, raw) as SettingValue<K>;
  const hit = cache.get(name);
  if (hit && hit.raw === raw) return hit.value as SettingValue<K>;
  const value = parse(name, raw);
  cache.set(name, { raw, value });
  return value as SettingValue<K>;
}

/** Whether the variable is set at all (to anything but the empty string). */
export function isSet(name: SettingName, source: Environment = process.env): boolean {
  const raw = source[name];
  return raw !== undefined && raw !== "";
}

/** Every setting that does not parse, at once (for `npm start`, which stops before serving with the whole list). */
export function checkConfiguration(source: Environment = process.env): ConfigError[] {
  const problems: ConfigError[] = [];
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    try {
      parse(name, source[name]);
    } catch (error) {
      if (error instanceof ConfigError) problems.push(error);
      else throw error;
    }
  }
  return problems;
}

/** The declarations, for the docs generator (scripts/config-docs.ts). */
export function settingDocs(): { name: SettingName; group: string; doc: string; example?: string; default?: string }[] {
  return (Object.keys(SETTINGS) as SettingName[]).map((name) => {
    const spec = SETTINGS[name] as SettingSpec<z.ZodType, unknown>;
    const d = spec.default;
    return {
      name,
      group: GROUPS[spec.group],
      doc: spec.doc,
      example: spec.example,
      default: d === undefined || (Array.isArray(d) && d.length === 0) ? undefined : String(d),
    };
  });
}
