/**
 * `npm run lint:openapi`: the OpenAPI document the app serves
 * (lib/http/openapi.ts), checked by linters nobody on the project wrote:
 * Redocly's recommended rules (no error, no warning allowed) and Spectral's
 * OAS and OWASP API Security rulesets (.spectral.yaml: no error allowed; the
 * warnings kept are listed, and justified in docs/api-conventions.md).
 *
 * The document is linted as a production install serves it: with an https
 * public URL (an http one is itself an OWASP finding), here a reserved
 * `.invalid` name unless REKEY_PUBLIC_URL is an https URL.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { env } from "../lib/env";
import { openApiDocument } from "../lib/http/openapi";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules/.bin", name);
const configured = env("REKEY_PUBLIC_URL");
const url = configured?.startsWith("https://") ? configured : "https://rekey.invalid";
// Inside the project: .spectral.yaml's overrides name the file's operations relative to it.
const file = path.join(root, "node_modules/.cache/rekey/openapi.json");
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(openApiDocument(url), null, 2));

/** Runs a linter that prints JSON, whatever its exit code (both exit non-zero when they find errors). */
function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (error) {
    const out = (error as { stdout?: string }).stdout;
    if (out) return out;
    throw error;
  }
}

let failed = false;

const redocly = JSON.parse(run(bin("redocly"), ["lint", file, "--format=json", "--extends=recommended"])) as {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[];
};
console.log(`Redocly (recommended): ${redocly.totals.errors} errors, ${redocly.totals.warnings} warnings`);
for (const p of redocly.problems) console.log(`  ${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
if (redocly.totals.errors + redocly.totals.warnings > 0) failed = true;

const spectral = JSON.parse(run(bin("spectral"), ["lint", file, "-r", path.join(root, ".spectral.yaml"), "-f", "json", "-q"]) || "[]") as {
  code: string;
  severity: number;
  message: string;
  path: string[];
}[];
const SEVERITY = ["error", "warning", "info", "hint"];
const counts = new Map<string, number>();
for (const d of spectral) counts.set(`${SEVERITY[d.severity]} ${d.code}`, (counts.get(`${SEVERITY[d.severity]} ${d.code}`) ?? 0) + 1);
const errors = spectral.filter((d) => d.severity === 0);
console.log(`Spectral (OAS + OWASP): ${errors.length} errors, ${spectral.filter((d) => d.severity === 1).length} warnings`);
for (const [rule, n] of [...counts].sort()) console.log(`  ${n} × ${rule}`);
for (const d of errors.slice(0, 40)) console.log(`  error ${d.code}: ${d.message} at ${d.path.join(".")}`);
if (errors.length > 0) failed = true;

process.exit(failed ? 1 : 0);
