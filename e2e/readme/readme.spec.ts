import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect, test } from "@playwright/test";
import { E2E_BOOTSTRAP_TOKEN } from "../support/accounts";

const run = promisify(execFile);

/** The marker before each of the README's shell examples that this test runs. */
const MARKER = "<!-- runs in e2e/readme/readme.spec.ts -->";

/**
 * The README's marked shell blocks, in order. Each must follow its marker
 * directly: a marker before anything else is a mistake in the README.
 */
function readmeExamples(): string[] {
  const readme = readFileSync("README.md", "utf8");
  const parts = readme.split(MARKER).slice(1);
  return parts.map((part, i) => {
    const block = /^\s*```(?:sh|bash)\n([\s\S]*?)\n```/.exec(part);
    if (!block) throw new Error(`README marker ${i + 1} is not followed by a sh block`);
    return block[1];
  });
}

// The README's examples, run as a reader runs them: one shell, in order, against the started app (the
// README's own `npm start`, on this suite's port), with curl, jq and node only. Each command must answer
// without an error; the examples' variables are set by the examples themselves.
test("the README's shell examples run as written against the started app", async ({ baseURL }) => {
  const examples = readmeExamples();
  expect(examples.length).toBeGreaterThanOrEqual(6);
  const port = new URL(baseURL!).port;
  const script = ["set -euo pipefail", ...examples.map((e) => e.replaceAll("localhost:3000", `localhost:${port}`))].join("\n");
  // A newline after each answer (a reader's terminal shows them apart anyway), so each is a line here.
  const curlHome = mkdtempSync(path.join(tmpdir(), "rekey-readme-"));
  writeFileSync(path.join(curlHome, ".curlrc"), 'write-out = "\\n"\n');
  const { stdout } = await run("bash", ["-c", script], {
    env: { ...process.env, CURL_HOME: curlHome, REKEY_BOOTSTRAP_TOKEN: E2E_BOOTSTRAP_TOKEN },
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
    throw new Error(`the README's examples failed (exit ${error.code}):\n${error.stderr}\n--- stdout ---\n${error.stdout}`);
  });
  const answers = stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  // No command was refused: every JSON answer is an answer, not { error }.
  for (const answer of answers) expect(answer, JSON.stringify(answer)).not.toHaveProperty("error");
  expect(
    answers.some((a) => typeof a.key === "string" && String(a.key).startsWith("rk_live_")),
    "a key was issued",
  ).toBe(true);
  expect(
    answers.some((a) => a.state === "rolled_back"),
    "a rotation was rolled back",
  ).toBe(true);
  expect(
    answers.some((a) => a.valid === false && a.code === "malformed"),
    "the verify example answered",
  ).toBe(true);
  expect(
    answers.some((a) => typeof a.secret === "string" && String(a.secret).startsWith("whsec_")),
    "a webhook was registered",
  ).toBe(true);
  expect(
    answers.some((a) => a.valid === true && a.organizationExternalId === "cus_31c7"),
    "the imported key verified",
  ).toBe(true);
  expect(stdout, "the import's dry run").toMatch(/would import 1, unchanged 0, refused 0/);
  expect(stdout, "the import").toMatch(/^imported 1, unchanged 0, refused 0/m);
  expect(stdout, "the secret-scanning pattern").toMatch(/rk_\(live\|test\)_/);
});
