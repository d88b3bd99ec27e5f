import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freshEmbeddedFolder, freshServerDatabase, testDatabaseKind } from "./support/database";

// The README's backup and restore commands, run as an operator runs them (rekey stopped): `npm run backup`, then the
// restore command it prints. The drill itself (revocations survive, the chain verifies) is tests/backup-restore.test.ts;
// this is that the two commands the README gives work as written.
const work = mkdtempSync(path.join(tmpdir(), "rekey-backup-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The shell block under "Backups and restore": each line's command, its comment dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");
  const block = /```bash\n(npm run backup[\s\S]*?)\n```/.exec(readme);
  if (!block) throw new Error("the README's backup block is gone");
  return block[1].split("\n").map((line) => line.replace(/#.*$/, "").trim());
}

describe(`npm run backup and npm run restore, as the README gives them (${testDatabaseKind})`, () => {
  it("backs up, and restores the file with the command the backup printed", async () => {
    const [backup, restore] = readmeCommands();
    expect(backup).toBe("npm run backup");
    expect(restore).toBe("npm run restore -- FILE");
    const environment: NodeJS.ProcessEnv = { ...process.env, REKEY_DATA_DIR: work, LOG_LEVEL: "warn" };
    delete environment.DATABASE_URL;
    // The journal a running rekey keeps beside its database (empty: nothing was revoked in this fresh one).
    environment.REKEY_REVOCATION_JOURNAL = path.join(work, "revocation-journal.jsonl");
    writeFileSync(environment.REKEY_REVOCATION_JOURNAL, "");
    if (testDatabaseKind === "postgres") environment.DATABASE_URL = await freshServerDatabase();
    else await freshEmbeddedFolder(path.join(work, "pglite"));
    const sh = (command: string) => spawnSync("bash", ["-c", command], { env: environment, encoding: "utf8", timeout: 240_000 });

    const taken = sh(backup);
    expect(taken.status, taken.stderr).toBe(0);
    expect(taken.stdout).toMatch(testDatabaseKind === "postgres" ? /backup of the PostgreSQL server taken/ : /backup of the embedded database taken/);
    const printed = /Restore with: (npm run restore -- \S+)/.exec(taken.stdout)?.[1];
    expect(printed, taken.stdout).toBeDefined();
    expect(printed!.replace(/-- \S+$/, "-- FILE")).toBe(restore);

    const restored = sh(printed!);
    expect(restored.status, `${restored.stdout}\n${restored.stderr}`).toBe(0);
    expect(restored.stdout).toMatch(/rekey: restored the backup taken/);
    expect(restored.stdout).toMatch(/revocations: 0 in the journal/);
  }, 300_000);
});
