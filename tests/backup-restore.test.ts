import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { closeDatabase, getDatabase, openDatabase, useDatabase } from "../lib/db";
import { createBackup, readBackup } from "../lib/backup/backup";
import { forgetJournalState, readJournal, syncRevocationJournal } from "../lib/backup/journal";
import { finishPendingRestore, restoreBackup, type RestoreTarget } from "../lib/backup/restore";
import { resetRestoreGate } from "../lib/backup/gate";
import { takeScheduledBackupIfDue } from "../lib/backup/schedule";
import { clearVerifyCache, verifyKey } from "../lib/keys/verify";
import { revokeKey } from "../lib/keys/mutations";
import { emergencyRotate } from "../lib/rotations/mutations";
import { changesAfter, snapshotLines } from "../lib/keys/changes";
import { verifyAuditChain } from "../lib/audit/verify";
import { readMigrationsList } from "../lib/migrations";
import { GoneError, ServiceUnavailableError } from "../lib/errors";
import { freshEmbeddedFolder, freshServerDatabase, testDatabaseKind } from "./support/database";
import { ADMIN, makeKey, makeOrg } from "./support/fixtures";

// Issue 20, items 3 and 4: a backup cannot bring a revoked key back, and the restore drill that shows it.
const work = mkdtempSync(path.join(tmpdir(), "rekey-restore-test-"));
let target: RestoreTarget;

async function openTarget() {
  const db = await openDatabase("url" in target ? { url: target.url } : { dataDir: target.dataDir });
  useDatabase(db);
  clearVerifyCache();
  resetRestoreGate();
  forgetJournalState();
  return db;
}

beforeAll(async () => {
  if (testDatabaseKind === "postgres") target = { url: await freshServerDatabase() };
  else {
    target = { dataDir: path.join(work, "pglite") };
    await freshEmbeddedFolder(target.dataDir);
  }
  await openTarget();
});

afterAll(async () => {
  await closeDatabase();
  rmSync(work, { recursive: true, force: true });
});

describe(`the restore drill (${testDatabaseKind})`, () => {
  it("back up, revoke one key and emergency-rotate another, restore: both stay refused, the chain verifies, and the restore is an audit event", async () => {
    const now = new Date();
    const org = await makeOrg();
    const revoked = await makeKey(org.id, { at: now });
    const rotated = await makeKey(org.id, { at: now });
    const kept = await makeKey(org.id, { at: now });
    const journal = path.join(work, "journal.jsonl");
    await syncRevocationJournal({ file: journal });
    const { cursor } = JSON.parse((await snapshotLines(now).next()).value as string) as { cursor: string };

    // The backup: in-process on the embedded database (the running rekey's own), pg_dump on a server.
    const db = await getDatabase();
    const file = path.join(work, "drill.rekey-backup");
    const backup = await createBackup(db.pglite ? { pglite: db.pglite } : { url: db.url! }, file);
    expect(readBackup(file).manifest).toMatchObject({ kind: testDatabaseKind, lastMigration: readMigrationsList().migrationDirectories.at(-1)!.path });

    // After the backup: a revocation, an emergency rotation that revokes at once, and a key issued (which the restore cannot bring back).
    const later = new Date(now.getTime() + 1000);
    await revokeKey({ keyId: revoked.key.id, reason: "leaked in a support ticket" }, { actor: ADMIN, now: later });
    await emergencyRotate({ keyId: rotated.key.id, gracePeriodHours: 0, reason: "found on GitHub" }, { actor: ADMIN, now: later });
    const afterBackup = await makeKey(org.id, { at: later });
    await revokeKey({ keyId: afterBackup.key.id, reason: "issued by mistake" }, { actor: ADMIN, now: later });
    expect(await syncRevocationJournal({ file: journal })).toBe(3);
    expect(await syncRevocationJournal({ file: journal })).toBe(0); // nothing twice
    for (const s of [revoked.secret, rotated.secret]) expect(await verifyKey(s, later)).toEqual({ valid: false, code: "revoked" });

    const started = performance.now();
    await closeDatabase();
    const report = await restoreBackup(file, target, { journals: [journal], keepBeforeIn: work });
    const restoreMs = performance.now() - started;
    console.log(
      `restore drill (${testDatabaseKind}): backup ${backup.durationMs} ms (${(backup.bytes / 1e6).toFixed(1)} MB), restore with ${report.journal.reapplied} revocations re-applied ${Math.round(restoreMs)} ms`,
    );
    expect(report.journal).toMatchObject({ entries: 3, reapplied: 2, alreadyRevoked: 0, missingKeys: 1 });
    expect(existsSync(report.keptBefore)).toBe(true); // what was there before is kept, not deleted
    clearVerifyCache();
    resetRestoreGate();

    const at = new Date(later.getTime() + 1000);
    expect(await verifyKey(revoked.secret, at)).toEqual({ valid: false, code: "revoked" });
    expect(await verifyKey(rotated.secret, at)).toEqual({ valid: false, code: "revoked" });
    expect(await verifyKey(afterBackup.secret, at)).toEqual({ valid: false, code: "unknown" }); // issued after the recovery point: gone
    expect((await verifyKey(kept.secret, at)).valid).toBe(true);

    const prisma = (await getDatabase()).prisma;
    expect((await verifyAuditChain(prisma)).ok).toBe(true);
    const restoredEvent = await prisma.auditEvent.findFirstOrThrow({ where: { action: "system.restored" } });
    expect(restoredEvent).toMatchObject({ actor: "system:restore", after: { reapplied: 2, missingKeys: 1 } });
    const reapplied = await prisma.auditEvent.findMany({ where: { action: "key.revoked", actor: "system:restore" }, select: { keyId: true } });
    expect(new Set(reapplied.map((e) => e.keyId))).toEqual(new Set([revoked.key.id, rotated.key.id]));
    expect(await prisma.restore.findFirstOrThrow()).toMatchObject({ reapplied: 2, missingKeys: 1, finishedAt: expect.any(Date) });

    // A replica's cursor from before the restore would skip what the restore changed: it must load a new snapshot.
    await expect(changesAfter(cursor, 0, at)).rejects.toBeInstanceOf(GoneError);
    const fresh = JSON.parse((await snapshotLines(new Date()).next()).value as string) as { cursor: string };
    await expect(changesAfter(fresh.cursor, 0, new Date())).resolves.toMatchObject({ reset: false });

    // Restoring twice changes nothing more: the journal's revocations are all in place.
    await closeDatabase();
    const again = await restoreBackup(file, target, { journals: [journal], keepBeforeIn: work });
    expect(again.journal).toMatchObject({ reapplied: 2 }); // the backup itself has not changed: the same two again
    clearVerifyCache();
    resetRestoreGate();
    expect(await verifyKey(revoked.secret, at)).toEqual({ valid: false, code: "revoked" });
  });

  it("while a restore is unfinished, verify and the snapshot refuse (503), and the next start finishes it", async () => {
    const prisma = (await getDatabase()).prisma;
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id, { at: new Date() });
    const journal = path.join(work, "pending.jsonl");
    writeFileSync(
      journal,
      `${JSON.stringify({
        v: 1,
        type: "key.revoked",
        keyId: key.id,
        prefix: key.prefix,
        organizationId: org.id,
        revokedAt: new Date().toISOString(),
        journaledAt: new Date().toISOString(),
      })}\n`,
    );
    await prisma.restore.create({
      data: { startedAt: new Date(), backupTakenAt: new Date(), backupFile: "interrupted.rekey-backup", backupSha256: "0".repeat(64) },
    });
    resetRestoreGate();
    clearVerifyCache();
    await expect(verifyKey(secret, new Date())).rejects.toBeInstanceOf(ServiceUnavailableError);

    const finished = await finishPendingRestore([journal]);
    expect(finished).toMatchObject({ reapplied: 1 });
    expect(await verifyKey(secret, new Date())).toEqual({ valid: false, code: "revoked" });
  });

  it("a damaged backup, a backup of the other database, or a missing journal is refused before anything changes", async () => {
    const prisma = (await getDatabase()).prisma;
    const before = await prisma.apiKey.count();
    const file = path.join(work, "drill.rekey-backup");
    const damaged = path.join(work, "damaged.rekey-backup");
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(damaged, bytes);
    await expect(restoreBackup(damaged, target, { journals: [] })).rejects.toThrow(/is damaged/);
    const other: RestoreTarget = "url" in target ? { dataDir: path.join(work, "elsewhere") } : { url: "postgresql://nobody@127.0.0.1:1/none" };
    await expect(restoreBackup(file, other, { journals: [] })).rejects.toThrow(/Restore it where it was taken/);
    await expect(restoreBackup(file, target, { journals: [path.join(work, "no-such-journal.jsonl")] })).rejects.toThrow(/does not exist/);
    await expect(restoreBackup(path.join(work, "journal.jsonl"), target, { journals: [] })).rejects.toThrow(/not a rekey backup/);
    expect(await (await getDatabase()).prisma.apiKey.count()).toBe(before);
  });

  it.runIf(testDatabaseKind === "postgres")("refuses to restore into a server database something else is connected to", async () => {
    const url = (target as { url: string }).url;
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await closeDatabase();
      await expect(restoreBackup(path.join(work, "drill.rekey-backup"), target, { journals: [] })).rejects.toThrow(
        /other connection\(s\) to this database: stop every rekey instance/,
      );
    } finally {
      await other.end();
      await openTarget();
    }
  });

  it("the cron's scheduled backup: taken when due, not again within the interval, the oldest beyond the count deleted", async () => {
    const dir = path.join(work, "scheduled");
    const schedule = { everyHours: 24, dir, keep: 2 };
    const day = 24 * 3_600_000;
    const t = Date.now();
    const first = await takeScheduledBackupIfDue(new Date(t), schedule);
    expect(first).not.toBeNull();
    expect(await takeScheduledBackupIfDue(new Date(t + 1000), schedule)).toBeNull();
    expect(readBackup(first!.file).manifest.kind).toBe(testDatabaseKind);
    if (testDatabaseKind === "pglite") {
      // The file's age decides: make it old, twice, and the third backup pushes the first out.
      const { utimesSync, readdirSync } = await import("node:fs");
      for (const n of [1, 2]) {
        for (const f of readdirSync(dir)) utimesSync(path.join(dir, f), new Date(t - 2 * day), new Date(t - 2 * day));
        expect(await takeScheduledBackupIfDue(new Date(t + n * 60_000), schedule)).not.toBeNull();
      }
      expect(readdirSync(dir)).toHaveLength(2);
      expect(existsSync(first!.file)).toBe(false);
    }
  });
});

describe("the revocation journal file", () => {
  it("keeps a line cut short by a crash out, ends it, and refuses a damaged line in the middle", async () => {
    const file = path.join(work, "torn.jsonl");
    const entry = (id: string) =>
      JSON.stringify({
        v: 1,
        type: "key.revoked",
        keyId: id,
        prefix: "rk_live_x",
        organizationId: "o",
        revokedAt: "2026-01-01T00:00:00.000Z",
        journaledAt: "2026-01-01T00:00:00.000Z",
      });
    writeFileSync(file, `${entry("a")}\n{"v":1,"type":"key.rev`);
    expect(readJournal(file)).toMatchObject({ entries: [{ keyId: "a" }], tornTail: true });
    appendFileSync(file, `\n${entry("b")}\n`);
    expect(() => readJournal(file)).toThrow(/line 2: not a revocation journal entry/);
  });
});
