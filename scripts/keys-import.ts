/**
 * npm run keys:import -- FILE [--url URL] [--token TOKEN] [--batch N] [--dry-run] [--verbose]
 *
 * Imports the keys an earlier system issued into a running rekey, by the
 * hashes that system stored (never a plaintext key), through the management
 * API (POST /api/v1/keys/import) with the generated client (packages/client).
 * FILE is JSON Lines (one key per line, the endpoint's fields) or CSV with a
 * header row (README, "Importing existing keys"). Each batch is one
 * transaction on the server and is sent with an Idempotency-Key (this run's
 * and the batch's), so a batch retried after a lost answer is not applied
 * twice; a re-run of the whole file changes nothing (every line "unchanged").
 *
 * Prints every refused line with why, then the totals. Exit status: 0 when no
 * line was refused, 1 when some were, 2 when the import could not run.
 */
import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse as parseCsv } from "csv-parse/sync";
import { createRekeyClient, type components } from "../packages/client/src";
import { env } from "../lib/env";

type ImportResult = components["schemas"]["ImportResult"];

const USAGE = "usage: npm run keys:import -- FILE [--url URL] [--token TOKEN] [--batch N] [--dry-run] [--verbose]";
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    token: { type: "string" },
    batch: { type: "string", default: "500" },
    "dry-run": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help || positionals.length !== 1) fail(USAGE);
const file = positionals[0];
const baseUrl = values.url ?? env("REKEY_URL");
const token = values.token ?? env("REKEY_TOKEN") ?? env("REKEY_BOOTSTRAP_TOKEN");
if (!token) fail("No token: pass --token, or set REKEY_TOKEN to a management token (Dashboard → Settings → API tokens).");
const batchSize = Number(values.batch);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) fail("--batch: a whole number from 1 to 1000.");

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** A line of the file: what to send, or why it cannot be sent. */
type Entry = { line: number; key?: Record<string, unknown>; error?: string };

function readEntries(): Entry[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    fail(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const csv = path.extname(file).toLowerCase() === ".csv" || !text.trimStart().startsWith("{");
  return csv ? readCsv(text) : readJsonLines(text);
}

function readJsonLines(text: string): Entry[] {
  const entries: Entry[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    try {
      const value = JSON.parse(raw);
      if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not a JSON object");
      entries.push({ line: i + 1, key: value });
    } catch (error) {
      entries.push({ line: i + 1, error: `not a JSON object: ${(error as Error).message}` });
    }
  });
  return entries;
}

/** The CSV columns, as the endpoint's fields. */
const CSV_COLUMNS = [
  "organization_external_id",
  "organization_name",
  "name",
  "environment",
  "prefix",
  "hash_algorithm",
  "hash",
  "hash_params",
  "scopes",
  "rate_limit",
  "created_at",
  "last_used_at",
  "expires_at",
  "external_id",
  "metadata",
];

function readCsv(text: string): Entry[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true, bom: true });
  } catch (error) {
    fail(`${file} is not CSV: ${(error as Error).message}`);
  }
  const header = records[0] ? Object.keys(records[0].record) : [];
  const unknown = header.find((c) => !CSV_COLUMNS.includes(c));
  if (unknown) fail(`${file}: unknown column ${unknown}; the columns are ${CSV_COLUMNS.join(", ")}`);
  return records.map(({ record: r, info }) => {
    const line = info.lines;
    const opt = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
    const json = (column: string) => {
      const v = opt(r[column]);
      if (v === undefined) return undefined;
      try {
        return JSON.parse(v);
      } catch {
        throw new Error(`${column}: is not JSON`);
      }
    };
    try {
      const rateLimit = opt(r.rate_limit);
      const key: Record<string, unknown> = {
        organization: { externalId: r.organization_external_id ?? "", ...(opt(r.organization_name) ? { name: r.organization_name } : {}) },
        name: r.name,
        environment: opt(r.environment),
        prefix: r.prefix,
        hash: { algorithm: r.hash_algorithm, value: r.hash, ...(opt(r.hash_params) ? { params: json("hash_params") } : {}) },
        scopes: opt(r.scopes)
          ?.split(/[\s,]+/)
          .filter(Boolean),
        rateLimit: rateLimit === undefined ? undefined : Number(rateLimit),
        createdAt: r.created_at,
        lastUsedAt: opt(r.last_used_at),
        expiresAt: opt(r.expires_at),
        externalId: opt(r.external_id),
        metadata: json("metadata"),
      };
      for (const [k, v] of Object.entries(key)) if (v === undefined) delete key[k];
      return { line, key };
    } catch (error) {
      return { line, error: (error as Error).message };
    }
  });
}

const rekey = createRekeyClient({ baseUrl, token });
const RUN = randomBytes(8).toString("hex");

/** Sends one batch; retried after a lost answer or a 5xx with the same Idempotency-Key. */
async function send(keys: Record<string, unknown>[]): Promise<ImportResult> {
  const body = { keys } as never;
  // Per run and batch: a retry within this run replays the first answer; a later run of the same file asks again (and finds the keys unchanged).
  const idempotencyKey = `import-${RUN}-${createHash("sha256").update(JSON.stringify(keys)).digest("hex").slice(0, 32)}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const { data, error, response } = await rekey.POST("/api/v1/keys/import", {
        body,
        params: { header: { "Idempotency-Key": idempotencyKey }, query: values["dry-run"] ? { dryRun: "1" } : {} },
      });
      if (data) return data;
      if (response.status < 500 || attempt === 3) fail(`rekey refused the batch (${response.status}): ${error?.error?.message ?? response.statusText}`);
    } catch (error) {
      if (attempt === 3) fail(`Cannot reach rekey at ${baseUrl}: ${(error as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
}

const entries = readEntries();
const totals = { imported: 0, unchanged: 0, refused: 0, organizationsCreated: 0 };
const outcomes: { line: number; status: string; detail: string }[] = [];
const report = (line: number, status: string, detail: string) => outcomes.push({ line, status, detail });
for (const e of entries.filter((e) => e.error)) {
  totals.refused++;
  report(e.line, "refused", e.error!);
}
const sendable = entries.filter((e) => e.key);
for (let i = 0; i < sendable.length; i += batchSize) {
  const batch = sendable.slice(i, i + batchSize);
  const result = await send(batch.map((e) => e.key!));
  totals.imported += result.imported;
  totals.unchanged += result.unchanged;
  totals.refused += result.refused;
  totals.organizationsCreated += result.organizationsCreated;
  // The server numbers lines from 1 within the batch: back to the file's lines.
  for (const o of result.lines) report(batch[o.line - 1].line, o.status, o.status === "refused" ? (o.error ?? "") : (o.prefix ?? ""));
}
for (const o of outcomes.sort((a, b) => a.line - b.line)) {
  if (o.status === "refused" || values.verbose) console.log(`line ${o.line}: ${o.status}${o.detail ? `: ${o.detail}` : ""}`);
}
console.log(
  `${values["dry-run"] ? "dry run (nothing written): would import" : "imported"} ${totals.imported}, unchanged ${totals.unchanged}, refused ${totals.refused}; organizations created: ${totals.organizationsCreated}`,
);
process.exit(totals.refused > 0 ? 1 : 0);
