import { beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { useTestDatabase, testPrisma, resetTestData, tamperAuditEvents as tamper } from "./support/database";
import { ADMIN, at, hours, makeKey, makeOrg } from "./support/fixtures";
import { call } from "./support/http";
import { inTransaction } from "../lib/db";
import { appendAuditEvent } from "../lib/audit/write";
import { hashAuditEvent } from "../lib/audit/chain";
import { checkpointProblem, type SignedCheckpoint } from "../lib/audit/checkpoint";
import {
  forgetCheckpointSigningKey,
  signCheckpointIfDue,
  verifyChainInFullIfDue,
  CHECKPOINT_EVERY_MINUTES,
  FULL_CHECK_EVERY_HOURS,
} from "../lib/audit/checkpoints";
import { generateKeyPairSync } from "node:crypto";
import { auditCsvChunks, auditJsonlChunks, complianceCsvChunks, loadReportContext } from "../lib/reports/files";
import { verifyExportFile } from "../lib/audit/offline";
import type { ReportScope } from "../lib/reports/period";
import { GET as checkpointsRoute } from "../app/api/v1/audit/checkpoints/route";
import { GET as keysRoute } from "../app/api/v1/audit/checkpoint-keys/route";

// Issue 13, item 4: signed checkpoints prove what a hash chain alone cannot: that nothing was cut off its end, and that
// a chain rewritten and re-hashed from an edit onwards is not the one that was signed.
useTestDatabase();
beforeEach(resetTestData);

const whole: ReportScope = {
  from: new Date("2020-01-01T00:00:00Z"),
  to: new Date("2030-01-01T00:00:00Z"),
  organizationId: null,
  environment: null,
  label: "all",
  preset: "custom",
};
const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/audit-verify.ts", ...args], { encoding: "utf8" });

async function history(n = 6) {
  const org = await makeOrg();
  await makeKey(org.id);
  for (let i = 1; i <= n; i++)
    await inTransaction((tx) => appendAuditEvent(tx, { actor: ADMIN, action: "policy.updated", reason: `change ${i}` }, at(hours(i))));
}

async function exportLines(): Promise<string[]> {
  let text = "";
  for await (const chunk of auditJsonlChunks(whole)) text += chunk;
  return text.trimEnd().split("\n");
}

describe("signed checkpoints", () => {
  it("the cron signs the head when it moved and the last checkpoint is old enough, and each checks out", async () => {
    await history(2);
    const first = await signCheckpointIfDue(at(hours(3)));
    const prisma = await testPrisma();
    const head = await prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: "desc" } });
    expect(first!.statement).toEqual({ type: "rekey.audit.checkpoint", version: 1, seq: String(head.seq), hash: head.hash, at: head.at.toISOString() });
    expect(checkpointProblem(first!)).toBeNull();
    expect(await signCheckpointIfDue(at(hours(3) + 60_000))).toBeNull(); // the head has not moved
    await inTransaction((tx) => appendAuditEvent(tx, { actor: ADMIN, action: "policy.updated" }, at(hours(4))));
    expect(await signCheckpointIfDue(at(hours(3) + 60_000))).toBeNull(); // moved, but the last checkpoint is a minute old
    const second = await signCheckpointIfDue(at(hours(3) + CHECKPOINT_EVERY_MINUTES * 60_000));
    expect(BigInt(second!.statement.seq)).toBe(head.seq + 1n);
    const listed = await call(checkpointsRoute, { method: "GET", token: null });
    expect(listed.status).toBe(200);
    expect(listed.json.checkpoints.map((c: SignedCheckpoint) => c.statement.seq)).toEqual([second!.statement.seq, first!.statement.seq]);
    const keys = await call(keysRoute, { method: "GET", token: null });
    expect(keys.json.keys).toEqual([{ keyId: first!.keyId, publicKey: first!.publicKey, algorithm: "Ed25519", current: true }]);
  });

  it("a new signing key (REKEY_CHECKPOINT_KEY rotated) signs from the next checkpoint on, and the old key stays published so its checkpoints still check out", async () => {
    const before = process.env.REKEY_CHECKPOINT_KEY;
    try {
      await history(2);
      const old = await signCheckpointIfDue(at(hours(3)));
      process.env.REKEY_CHECKPOINT_KEY = (generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }) as string).replace(/\n/g, "\\n");
      forgetCheckpointSigningKey();
      const fresh = await signCheckpointIfDue(at(hours(3) + 60_000)); // a new key's first checkpoint is due at once
      expect(fresh!.keyId).not.toBe(old!.keyId);
      expect(fresh!.statement).toEqual(old!.statement); // the same head, signed by both
      const keys = await call(keysRoute, { method: "GET", token: null });
      expect(keys.json.keys).toEqual(
        expect.arrayContaining([
          { keyId: old!.keyId, publicKey: old!.publicKey, algorithm: "Ed25519", current: false },
          { keyId: fresh!.keyId, publicKey: fresh!.publicKey, algorithm: "Ed25519", current: true },
        ]),
      );
      for (const c of [old!, fresh!]) expect(checkpointProblem(c)).toBeNull();
    } finally {
      process.env.REKEY_CHECKPOINT_KEY = before;
      forgetCheckpointSigningKey();
    }
  });

  it("a changed statement, signature or key is refused", async () => {
    await history(1);
    const c = (await signCheckpointIfDue(at(hours(2))))!;
    expect(checkpointProblem({ ...c, statement: { ...c.statement, seq: String(BigInt(c.statement.seq) + 1n) } })).toMatch(/signature does not verify/);
    expect(checkpointProblem({ ...c, statement: { ...c.statement, at: "2026-01-05T09:00:00.001Z" } })).toMatch(/signature does not verify/);
    const sig = Buffer.from(c.signature, "base64");
    sig[0] ^= 1;
    expect(checkpointProblem({ ...c, signature: sig.toString("base64") })).toMatch(/signature does not verify/);
    expect(checkpointProblem({ ...c, keyId: "0".repeat(16) })).toMatch(/key id does not match/);
    const { generateKeyPairSync } = await import("node:crypto");
    const other = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const { keyIdOf } = await import("../lib/audit/checkpoint");
    expect(checkpointProblem({ ...c, publicKey: other.toString("base64"), keyId: keyIdOf(other) })).toMatch(/signature does not verify/);
  });

  it("a report signs the head it covers, the same bytes every time, in its CSV", async () => {
    await history(3);
    const scope: ReportScope = { ...whole, to: at(hours(10)) };
    const one = await loadReportContext(scope, at(hours(11)));
    const two = await loadReportContext(scope, at(hours(12)));
    expect(one.checkpoint).toEqual(two.checkpoint);
    expect(one.checkpoint!.statement.hash).toBe(one.chain.headHash);
    let csv = "";
    for await (const chunk of complianceCsvChunks(one)) csv += chunk;
    expect(csv).toContain(
      `\ncheckpoint,${one.checkpoint!.statement.seq},${one.chain.headHash},${one.checkpoint!.statement.at},Ed25519,${one.checkpoint!.keyId},${one.checkpoint!.publicKey},${one.checkpoint!.signature}\n`,
    );
    expect(await (await testPrisma()).auditCheckpoint.count({ where: { reason: "report" } })).toBe(1);
  });

  it("audit:verify --checkpoint catches events cut off the end and a chain rewritten and re-hashed after an edit", async () => {
    await history(6);
    const lines = await exportLines();
    const checkpoint = (await signCheckpointIfDue(at(hours(7))))!;
    const dir = mkdtempSync(path.join(tmpdir(), "rekey-checkpoint-"));
    const file = (name: string, content: string) => {
      writeFileSync(path.join(dir, name), content);
      return path.join(dir, name);
    };
    const cp = file("checkpoint.json", JSON.stringify(checkpoint));
    const intact = cli(file("intact.jsonl", `${lines.join("\n")}\n`), "--checkpoint", cp, "--key", checkpoint.keyId);
    expect(intact.status, intact.stdout + intact.stderr).toBe(0);
    expect(intact.stdout).toContain(`The checkpoint of event ${checkpoint.statement.seq}`);
    // The endpoint's whole answer works as the checkpoint file too (its newest checkpoint is used).
    expect(cli(path.join(dir, "intact.jsonl"), "--checkpoint", file("all.json", JSON.stringify({ checkpoints: [checkpoint] }))).status).toBe(0);

    // The last two events cut off: a valid chain, but short of the signed head.
    const cut = file("cut.jsonl", `${lines.slice(0, -2).join("\n")}\n`);
    expect((await verifyExportFile(cut)).ok).toBe(true);
    const cutResult = cli(cut, "--checkpoint", cp);
    expect(cutResult.status).toBe(1);
    expect(cutResult.stdout).toMatch(/but the checkpoint signs event \d+: events were cut off the end/);

    // An edit, with every hash after it recomputed: the chain links, only the checkpoint knows.
    const events = lines.map((l) => JSON.parse(l));
    events[3].reason = "nothing happened";
    for (let i = 3; i < events.length; i++) {
      if (i > 3) events[i].prevHash = events[i - 1].hash;
      events[i].hash = hashAuditEvent({ ...events[i], at: new Date(events[i].at) });
    }
    const rewritten = file("rewritten.jsonl", `${events.map((e) => JSON.stringify(e)).join("\n")}\n`);
    expect((await verifyExportFile(rewritten)).ok).toBe(true);
    const caught = cli(rewritten, "--checkpoint", cp);
    expect(caught.status).toBe(1);
    expect(caught.stdout).toContain("not the event the checkpoint signed");

    // The same for the CSV export: the checkpoint catches its last events cut off.
    let csvText = "";
    for await (const chunk of auditCsvChunks(whole)) csvText += chunk;
    const csvLines = csvText.trimEnd().split("\n");
    expect(cli(file("intact.csv", `${csvLines.join("\n")}\n`), "--checkpoint", cp).status).toBe(0);
    const cutCsv = cli(file("cut.csv", `${csvLines.slice(0, -2).join("\n")}\n`), "--checkpoint", cp);
    expect(cutCsv.status).toBe(1);
    expect(cutCsv.stdout).toMatch(/events were cut off the end/);

    // A forged checkpoint, or one from another key than the pinned one, is refused before the file is read.
    expect(
      cli(
        path.join(dir, "intact.jsonl"),
        "--checkpoint",
        file("forged.json", JSON.stringify({ ...checkpoint, statement: { ...checkpoint.statement, hash: events.at(-1).hash } })),
      ).stdout,
    ).toMatch(/signature does not verify/);
    expect(cli(path.join(dir, "intact.jsonl"), "--checkpoint", cp, "--key", "0123456789abcdef").status).toBe(1);
  });
});

// Issue 13, item 5: the nightly full check marks a checkpoint verified in full; reports resume from it.
describe("incremental verification", () => {
  it("the nightly full check marks the head's checkpoint, and a report resumes from it and still sees later edits", async () => {
    await history(4);
    const night = at(hours(6));
    const full = await verifyChainInFullIfDue(night);
    expect(full).toMatchObject({ ok: true });
    expect(await verifyChainInFullIfDue(at(hours(7)))).toBeNull(); // once a night
    const prisma = await testPrisma();
    const anchor = await prisma.auditCheckpoint.findFirstOrThrow({ where: { verifiedAt: { not: null } } });
    for (let i = 5; i <= 7; i++)
      await inTransaction((tx) => appendAuditEvent(tx, { actor: ADMIN, action: "policy.updated", reason: `later ${i}` }, at(hours(i + 3))));
    const total = await prisma.auditEvent.count();

    const scope: ReportScope = { ...whole, to: at(hours(20)) };
    const ctx = await loadReportContext(scope, at(hours(21)));
    expect(ctx.chain).toMatchObject({ ok: true, checked: total, resumedFrom: { seq: String(anchor.seq), verifiedAt: night } });
    expect(ctx.chain.headHash).toBe((await prisma.auditEvent.findFirstOrThrow({ orderBy: { seq: "desc" } })).hash);
    // The anchor knows how many events it covers, so resuming counts nothing up to it; a period that starts after the
    // chain's first events still counts exactly its own.
    expect(anchor.eventsThrough).toBe(await prisma.auditEvent.count({ where: { seq: { lte: anchor.seq } } }));
    const laterPeriod: ReportScope = { ...whole, from: at(hours(2)), to: at(hours(20)) };
    const inLater = await prisma.auditEvent.count({ where: { at: { gte: laterPeriod.from, lt: laterPeriod.to } } });
    expect(inLater).toBeLessThan(total);
    expect((await loadReportContext(laterPeriod, at(hours(21)))).chain).toMatchObject({ ok: true, checked: inLater, resumedFrom: { seq: String(anchor.seq) } });

    // An edit after the anchor is found at once; a rewrite of the anchor's own event too.
    const later = await prisma.auditEvent.findFirstOrThrow({ where: { reason: "later 6" } });
    await tamper(`UPDATE audit_events SET reason = 'quiet' WHERE seq = ${later.seq}`);
    expect((await loadReportContext(scope, at(hours(21)))).chain).toMatchObject({
      ok: false,
      broken: { seq: String(later.seq), reason: "this event was edited after it was written" },
    });
    await tamper(`UPDATE audit_events SET hash = '${"a".repeat(64)}' WHERE seq = ${anchor.seq}`);
    expect((await loadReportContext(scope, at(hours(21)))).chain).toMatchObject({
      ok: false,
      broken: { seq: String(anchor.seq), reason: expect.stringMatching(/not the event the checkpoint signed/) },
    });
  });

  it("the cron's periodic checkpoint carries the verification forward from the last verified one, and raises a break at once", async () => {
    await history(3);
    const prisma = await testPrisma();
    await verifyChainInFullIfDue(at(hours(5)));
    for (let i = 1; i <= 3; i++)
      await inTransaction((tx) => appendAuditEvent(tx, { actor: ADMIN, action: "policy.updated", reason: `after the night ${i}` }, at(hours(5 + i))));
    const periodic = (await signCheckpointIfDue(at(hours(5) + CHECKPOINT_EVERY_MINUTES * 60_000 + 1)))!;
    const row = await prisma.auditCheckpoint.findFirstOrThrow({ where: { seq: BigInt(periodic.statement.seq), keyId: periodic.keyId } });
    expect(row).toMatchObject({ verifiedInFull: false, eventsThrough: await prisma.auditEvent.count() });
    expect(row.verifiedAt).not.toBeNull();
    // A report resumes from it; the nightly full check is still due a day after the last full one, not the periodic one.
    expect((await loadReportContext(whole, at(hours(20)))).chain).toMatchObject({
      ok: true,
      checked: await prisma.auditEvent.count(),
      resumedFrom: { seq: periodic.statement.seq },
    });
    expect(await verifyChainInFullIfDue(at(hours(5) + FULL_CHECK_EVERY_HOURS * 3_600_000 - 1))).toBeNull();
    expect(await verifyChainInFullIfDue(at(hours(5) + FULL_CHECK_EVERY_HOURS * 3_600_000 + 1))).toMatchObject({ ok: true });

    // An edit after the last verified checkpoint: the next periodic checkpoint raises it, and is not marked verified.
    await inTransaction((tx) => appendAuditEvent(tx, { actor: ADMIN, action: "policy.updated", reason: "to be edited" }, at(hours(40))));
    const edited = await prisma.auditEvent.findFirstOrThrow({ where: { reason: "to be edited" } });
    await tamper(`UPDATE audit_events SET reason = 'edited' WHERE seq = ${edited.seq}`);
    const next = (await signCheckpointIfDue(at(hours(41) + CHECKPOINT_EVERY_MINUTES * 60_000)))!;
    expect((await prisma.auditCheckpoint.findFirstOrThrow({ where: { seq: BigInt(next.statement.seq), keyId: next.keyId } })).verifiedAt).toBeNull();
    expect((await prisma.alert.findFirstOrThrow({ where: { kind: "audit_chain_broken" } })).message).toContain(`broken at event ${edited.seq}`);
  });

  it("an edit before the anchor is caught by the next night's full check, as a critical alert", async () => {
    await history(3);
    await verifyChainInFullIfDue(at(hours(5)));
    const prisma = await testPrisma();
    const early = await prisma.auditEvent.findFirstOrThrow({ where: { reason: "change 1" } });
    await tamper(`UPDATE audit_events SET reason = 'change one' WHERE seq = ${early.seq}`);
    const next = await verifyChainInFullIfDue(at(hours(5) + FULL_CHECK_EVERY_HOURS * 3_600_000));
    expect(next).toMatchObject({ ok: false, broken: { seq: String(early.seq) } });
    const alert = await prisma.alert.findFirstOrThrow({ where: { kind: "audit_chain_broken" } });
    expect(alert).toMatchObject({ severity: "critical", status: "open" });
    expect(alert.message).toContain(`broken at event ${early.seq}`);
  });
});
