/**
 * npm run audit:verify -- FILE [--head HASH] [--checkpoint CHECKPOINT.json [--key KEYID]]
 *
 * Checks an exported audit log (JSON Lines, or CSV by its .csv name) offline,
 * as written: every line must be exactly what rekey writes (the documented
 * fields and forms, docs/audit-chain.md), every event's SHA-256 is recomputed
 * from its content and must match, and every event must point at the hash of
 * the one before it. With --head, the last event's hash must also equal the
 * chain head printed in a report. With --checkpoint (a signed checkpoint from
 * a report or /api/v1/audit/checkpoints), its Ed25519 signature must verify
 * and the file must reach the event it signs unchanged: nothing up to it was
 * changed, removed or cut off the end. --key pins the signing key's id.
 * Exit code 0 when intact, 1 when not, 2 when a file cannot be read.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { verifyExportFile } from "../lib/audit/offline";
import { checkpointProblem, type SignedCheckpoint } from "../lib/audit/checkpoint";

const { values, positionals } = parseArgs({
  options: { head: { type: "string" }, checkpoint: { type: "string" }, key: { type: "string" } },
  allowPositionals: true,
});
const file = positionals[0];
if (!file || !existsSync(file)) {
  console.error(file ? `No such file: ${file}` : "Usage: npm run audit:verify -- FILE [--head HASH] [--checkpoint CHECKPOINT.json [--key KEYID]]");
  process.exit(2);
}

/** The checkpoint in a file: one signed checkpoint, or the newest of /api/v1/audit/checkpoints' answer. */
function readCheckpoint(path: string): SignedCheckpoint {
  const json = JSON.parse(readFileSync(path, "utf8"));
  const list: SignedCheckpoint[] | undefined = Array.isArray(json?.checkpoints) ? json.checkpoints : undefined;
  if (list && list.length === 0) throw new Error("the file lists no checkpoints");
  return list ? list.reduce((a, b) => (BigInt(b.statement.seq) > BigInt(a.statement.seq) ? b : a)) : json;
}

let checkpoint: SignedCheckpoint | undefined;
if (values.checkpoint) {
  try {
    checkpoint = readCheckpoint(values.checkpoint);
  } catch (error) {
    console.error(`Could not read the checkpoint ${values.checkpoint}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const problem = checkpointProblem(checkpoint);
  if (problem) {
    console.log(`BROKEN: the checkpoint does not hold: ${problem}.`);
    process.exit(1);
  }
  if (values.key && values.key !== checkpoint.keyId) {
    console.log(`BROKEN: the checkpoint is signed by key ${checkpoint.keyId}, not by the key you pinned, ${values.key}.`);
    process.exit(1);
  }
}

try {
  const result = await verifyExportFile(file, checkpoint ? { seq: checkpoint.statement.seq, hash: checkpoint.statement.hash } : undefined);
  if (!result.ok) {
    console.log(`BROKEN: event ${result.broken!.seq}${result.broken!.line ? ` (line ${result.broken!.line})` : ""}: ${result.broken!.reason}.`);
    console.log(`${result.checked} event(s) before it were intact.`);
    process.exit(1);
  }
  if (result.checked === 0) {
    console.log("The file holds no events.");
    process.exit(values.head ? 1 : 0);
  }
  console.log(`Intact: ${result.checked} event(s), ${result.firstSeq} to ${result.lastSeq}, each line as rekey writes it, each hash recomputed and linked.`);
  if (result.seqGaps)
    console.log(
      `${result.seqGaps} sequence value(s) skipped: normal (a crash or a rolled-back transaction skips values); a deleted event would break a link instead.`,
    );
  console.log(result.startsFrom === "0".repeat(64) ? "It starts at the beginning of the chain." : `It continues the chain from hash ${result.startsFrom}.`);
  console.log(`Chain head: ${result.headHash}`);
  if (values.head) {
    if (values.head.toLowerCase() !== result.headHash) {
      console.log(`MISMATCH: the head you gave is ${values.head}; this file ends at ${result.headHash}.`);
      process.exit(1);
    }
    console.log("The head matches the one you gave.");
  }
  if (checkpoint) {
    console.log(
      `The checkpoint of event ${checkpoint.statement.seq} (${checkpoint.statement.at}) is signed by key ${checkpoint.keyId}${values.key ? ", the key you pinned" : " (pin it with --key: compare it with /.well-known/rekey-checkpoint-keys.json or an earlier report)"}, and the file reaches it unchanged.`,
    );
  }
} catch (error) {
  console.error(`Could not read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
