/**
 * npm run audit:verify -- FILE [--head HASH]
 *
 * Checks an exported audit log (JSON Lines, or CSV by its .csv name) offline,
 * as written: every line must be exactly what rekey writes (the documented
 * fields and forms, docs/audit-chain.md), every event's SHA-256 is recomputed
 * from its content and must match, and every event must point at the hash of
 * the one before it. With --head, the
 * last event's hash must also equal the chain head printed in a report.
 * Exit code 0 when intact, 1 when not, 2 when the file cannot be read.
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { verifyExportFile } from "../lib/audit/offline";

const { values, positionals } = parseArgs({ options: { head: { type: "string" } }, allowPositionals: true });
const file = positionals[0];
if (!file || !existsSync(file)) {
  console.error(file ? `No such file: ${file}` : "Usage: npm run audit:verify -- FILE [--head HASH]");
  process.exit(2);
}
try {
  const result = await verifyExportFile(file);
  if (!result.ok) {
    console.log(`BROKEN: event ${result.broken!.seq} (line ${result.broken!.line}): ${result.broken!.reason}.`);
    console.log(`${result.checked} event(s) before it were intact.`);
    process.exit(1);
  }
  if (result.checked === 0) {
    console.log("The file holds no events.");
    process.exit(values.head ? 1 : 0);
  }
  console.log(`Intact: ${result.checked} event(s), ${result.firstSeq} to ${result.lastSeq}, each line as rekey writes it, each hash recomputed and linked.`);
  if (result.seqGaps) console.log(`${result.seqGaps} sequence value(s) skipped: normal (a crash or a rolled-back transaction skips values); a deleted event would break a link instead.`);
  console.log(result.startsFrom === "0".repeat(64) ? "It starts at the beginning of the chain." : `It continues the chain from hash ${result.startsFrom}.`);
  console.log(`Chain head: ${result.headHash}`);
  if (values.head) {
    if (values.head.toLowerCase() !== result.headHash) {
      console.log(`MISMATCH: the head you gave is ${values.head}; this file ends at ${result.headHash}.`);
      process.exit(1);
    }
    console.log("The head matches the one you gave.");
  }
} catch (error) {
  console.error(`Could not read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
