import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import { serveRoutes } from "./support/serve";
import { API_HANDLERS } from "./support/routes";
import { verifyKey } from "../lib/keys/verify";
import { setDotenv } from "../packages/agent/src/destinations";
import { RECIPES } from "../packages/agent/src/recipes";

useTestDatabase();

const served = serveRoutes({
  "/api/v1/keys/self": { GET: API_HANDLERS["GET /api/v1/keys/self"] },
  "/api/v1/keys/self/reports": { POST: API_HANDLERS["POST /api/v1/keys/self/reports"] },
  "/api/v1/keys/rotate": { POST: API_HANDLERS["POST /api/v1/keys/rotate"] },
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs `npm run agent -- …` as the customer would (one node process, so a
 * kill -9 of its pid is a kill of the agent), against the served routes.
 * Its pid is written to `pidFile` at once, for a script that kills it.
 */
function agent(args: string[], pidFile?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "packages/agent/src/cli.ts", ...args, "--rekey", served.base], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    if (pidFile) writeFileSync(pidFile, String(child.pid));
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

/** A customer's service directory: the agent's key file, a file destination, a dotenv file, and a script that records what it is given. */
function workspace(oldKey: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "rekey-agent-"));
  const keyFile = path.join(dir, "rekey.key");
  writeFileSync(keyFile, `${oldKey}\n`, { mode: 0o600 });
  const keyCopy = path.join(dir, "service.key");
  writeFileSync(keyCopy, oldKey, { mode: 0o640 });
  const dotenv = path.join(dir, ".env");
  writeFileSync(dotenv, `# the service's settings\nDATABASE_URL=postgres://db/app\nexport API_KEY="${oldKey}" # rotated by rekey\nLOG_LEVEL=info\n`);
  // Records its standard input, its arguments, its environment and its parent's command line: the key must be in the first only.
  const recorder = path.join(dir, "record.sh");
  writeFileSync(
    recorder,
    `#!/bin/sh\ncat > "${dir}/received"\necho "$@" > "${dir}/args"\nenv > "${dir}/env"\ntr '\\0' ' ' < /proc/$PPID/cmdline > "${dir}/parent-cmdline"\n`,
  );
  chmodSync(recorder, 0o755);
  const files = [keyFile, keyCopy, dotenv];
  const contents = () => files.map((f) => readFileSync(f, "utf8"));
  const to = ["--to", `file:${keyCopy}`, "--to", `dotenv:${dotenv}#API_KEY`, "--to", `exec:${recorder}`];
  return { dir, keyFile, keyCopy, dotenv, recorder, contents, to, received: () => readFileSync(path.join(dir, "received"), "utf8") };
}

const rotationsOf = async (keyId: string) => (await testPrisma()).rotation.findMany({ where: { keyId } });

describe("the agent (npm run agent)", () => {
  it("does nothing for a key that is not due, and says when it will be", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id, { at: new Date() });
    const w = workspace(secret);
    const before = w.contents();
    const run = await agent(["rotate", "--key-file", w.keyFile, ...w.to]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Not due: This key is due for rotation from \d{4}-\d\d-\d\d \d\d:\d\d UTC \(7 days before its max age of 90 days\)/);
    expect(w.contents()).toEqual(before);
    expect(await rotationsOf(key.id)).toEqual([]);
  });

  it("forced, delivers the new key to a file, a dotenv variable and a command, checks it, then replaces its own key file; no key in its output", async () => {
    const org = await makeOrg();
    const { key, secret: oldKey } = await makeKey(org.id, { at: new Date() });
    const w = workspace(oldKey);
    const run = await agent(["rotate", "--force", "--key-file", w.keyFile, ...w.to, "--check", `test "$(cat)" != "${"x"}"`]);
    expect(run.code, run.output).toBe(0);
    const newKey = readFileSync(w.keyFile, "utf8");
    expect(newKey).toMatch(/^rk_live_/);
    expect(newKey).not.toBe(oldKey);
    expect(statSync(w.keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${w.keyFile}.next`)).toBe(false);
    // Each destination holds the new key; the dotenv file keeps every other line, the export, the quotes and the comment.
    expect(readFileSync(w.keyCopy, "utf8")).toBe(newKey);
    expect(statSync(w.keyCopy).mode & 0o777).toBe(0o640);
    expect(readFileSync(w.dotenv, "utf8")).toBe(
      `# the service's settings\nDATABASE_URL=postgres://db/app\nexport API_KEY="${newKey}" # rotated by rekey\nLOG_LEVEL=info\n`,
    );
    expect(w.received()).toBe(newKey);
    // Never where ps or /proc shows it.
    for (const f of ["args", "env", "parent-cmdline"]) expect(readFileSync(path.join(w.dir, f), "utf8")).not.toContain(newKey);
    // The new key verifies; the old one still does, as deprecated, until the deadline.
    expect(await verifyKey(newKey, new Date())).toMatchObject({ valid: true });
    expect(await verifyKey(oldKey, new Date())).toMatchObject({ valid: true, deprecated: true });
    // Reported: on the rotation, with the destinations' names only.
    const [rotation] = await rotationsOf(key.id);
    const reports = await (await testPrisma()).agentReport.findMany({ where: { rotationId: rotation.id } });
    expect(reports.map((r) => [r.outcome, r.destinations])).toEqual([["delivered", [`file:${w.keyCopy}`, `dotenv:${w.dotenv}#API_KEY`, "exec:record.sh"]]]);
    expect(run.output).toMatch(/Done: rk_live_\w+… is in /);
    for (const k of [oldKey, newKey]) expect(run.output).not.toContain(k);
  });

  it("rotates a key past its policy's notice without --force", async () => {
    const org = await makeOrg();
    // Made on 2026-01-05: far past 90 days less 7 of notice.
    const { key, secret } = await makeKey(org.id);
    const w = workspace(secret);
    const run = await agent(["rotate", "--key-file", w.keyFile, "--to", `file:${w.keyCopy}`]);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Due: This key reaches its max age of 90 days/);
    expect(readFileSync(w.keyCopy, "utf8")).toBe(readFileSync(w.keyFile, "utf8"));
    expect(await rotationsOf(key.id)).toHaveLength(1);
  });

  it("a failing check leaves every destination and the key file as they were, reports it, and the next run delivers without a second rotation", async () => {
    const org = await makeOrg();
    const { key, secret: oldKey } = await makeKey(org.id, { at: new Date() });
    const w = workspace(oldKey);
    const before = w.contents();
    const failed = await agent(["rotate", "--force", "--key-file", w.keyFile, ...w.to, "--check", "echo the new key is refused >&2; exit 4"]);
    expect(failed.code, failed.output).toBe(1);
    expect(failed.output).toMatch(/The new key was not delivered: check failed \(exited with status 4\)\. The old key stays in /);
    expect(failed.output).toContain("check: the new key is refused");
    expect(w.contents()).toEqual(before);
    // The command destination was given the old key back.
    expect(w.received()).toBe(oldKey);
    expect(statSync(`${w.keyFile}.next`).mode & 0o777).toBe(0o600);
    const prisma = await testPrisma();
    const [rotation] = await rotationsOf(key.id);
    expect(await prisma.agentReport.findMany({ where: { rotationId: rotation.id }, select: { outcome: true, failedAt: true } })).toEqual([
      { outcome: "failed", failedAt: "check" },
    ]);
    const alert = await prisma.alert.findFirstOrThrow({ where: { rotationId: rotation.id, kind: "agent_delivery_failed" } });
    expect(alert.message).toMatch(/could not deliver its new key: it failed at check \(exited with status 4\)/);

    const retried = await agent(["rotate", "--key-file", w.keyFile, ...w.to, "--check", "cat > /dev/null"]);
    expect(retried.code, retried.output).toBe(0);
    expect(retried.output).toMatch(/Resuming the delivery of rk_live_\w+… found in /);
    const newKey = readFileSync(w.keyFile, "utf8");
    expect(newKey).not.toBe(oldKey);
    expect(w.received()).toBe(newKey);
    expect(readFileSync(w.keyCopy, "utf8")).toBe(newKey);
    expect(await rotationsOf(key.id)).toHaveLength(1);
    for (const k of [oldKey, newKey]) expect(failed.output + retried.output).not.toContain(k);
  });

  it("a failing destination puts back the ones already delivered", async () => {
    const org = await makeOrg();
    const { secret: oldKey } = await makeKey(org.id, { at: new Date() });
    const w = workspace(oldKey);
    const before = w.contents();
    const run = await agent([
      "rotate",
      "--force",
      "--key-file",
      w.keyFile,
      "--to",
      `file:${w.keyCopy}`,
      "--to",
      `dotenv:${w.dotenv}#API_KEY`,
      "--to",
      "exec:false",
    ]);
    expect(run.code, run.output).toBe(1);
    expect(run.output).toMatch(/Failed at exec:false: exited with status 1\. Putting every destination back\./);
    expect(run.output).toContain(`restored dotenv:${w.dotenv}#API_KEY`);
    expect(w.contents()).toEqual(before);
  });

  it("killed (kill -9) while delivering or checking, the next run completes with one rotation", async () => {
    for (const step of ["delivery", "check"] as const) {
      const org = await makeOrg();
      const { key, secret: oldKey } = await makeKey(org.id, { at: new Date() });
      const w = workspace(oldKey);
      const pid = path.join(w.dir, "pid");
      // Kills the agent the first time it runs, then behaves.
      const killer = `if [ ! -e "${w.dir}/killed" ]; then touch "${w.dir}/killed"; kill -9 $(cat "${pid}"); exit 1; fi; cat > /dev/null`;
      const args = ["rotate", "--force", "--key-file", w.keyFile, ...w.to];
      const first = await agent(step === "delivery" ? [...args.slice(0, -2), "--to", `exec:${killer}`, ...args.slice(-2)] : [...args, "--check", killer], pid);
      expect(first.signal, first.output).toBe("SIGKILL");
      expect(existsSync(`${w.keyFile}.next`)).toBe(true);
      expect(readFileSync(w.keyFile, "utf8").trim()).toBe(oldKey);
      const second = await agent(step === "delivery" ? [...args.slice(0, -2), "--to", `exec:${killer}`, ...args.slice(-2)] : [...args, "--check", killer], pid);
      expect(second.code, second.output).toBe(0);
      const newKey = readFileSync(w.keyFile, "utf8");
      expect(newKey).not.toBe(oldKey);
      expect([readFileSync(w.keyCopy, "utf8"), w.received()]).toEqual([newKey, newKey]);
      expect(readFileSync(w.dotenv, "utf8")).toContain(`export API_KEY="${newKey}"`);
      expect(await rotationsOf(key.id)).toHaveLength(1);
      expect(existsSync(`${w.keyFile}.next`)).toBe(false);
    }
  });

  it("delivers through every documented recipe (vault, aws, vercel, gh, kubectl, a redeploy hook) on standard input only", async () => {
    const org = await makeOrg();
    const { secret: oldKey } = await makeKey(org.id, { at: new Date() });
    const w = workspace(oldKey);
    const bin = path.join(w.dir, "bin");
    const rec = path.join(w.dir, "rec");
    mkdirSync(bin);
    mkdirSync(rec);
    // Stand-ins for each CLI: they record their arguments and what they read, as the real ones read it.
    const record = (name: string) => `echo "$@" >> "$RECORD_DIR/${name}.args"; cat >> "$RECORD_DIR/${name}.stdin"`;
    const fakes: Record<string, string> = {
      vault: record("vault"),
      aws: `echo "$@" >> "$RECORD_DIR/aws.args"; case "$*" in *file:///dev/stdin*) cat /dev/stdin >> "$RECORD_DIR/aws.stdin";; esac`,
      vercel: `if [ "$2" = rm ]; then echo "$@" >> "$RECORD_DIR/vercel.args"; else ${record("vercel")}; fi`,
      gh: record("gh"),
      kubectl: `echo "$@" >> "$RECORD_DIR/kubectl.args"; if [ "$1" = create ]; then printf 'data:\n  api-key: %s\n' "$(base64 -w0 < /dev/stdin)"; else cat >> "$RECORD_DIR/kubectl.stdin"; fi`,
      curl: `echo "$@" >> "$RECORD_DIR/curl.args"`,
    };
    for (const [name, body] of Object.entries(fakes)) {
      writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    }
    const run = await agent(["rotate", "--force", "--key-file", w.keyFile, ...RECIPES.flatMap((r) => ["--to", r.to])], undefined, {
      PATH: `${bin}:${process.env.PATH}`,
      RECORD_DIR: rec,
      DEPLOY_HOOK_URL: "https://hooks.example.com/deploy/abc",
    });
    expect(run.code, run.output).toBe(0);
    const newKey = readFileSync(w.keyFile, "utf8");
    const read = (f: string) => readFileSync(path.join(rec, f), "utf8");
    for (const cli of ["vault", "aws", "vercel", "gh"]) expect(read(`${cli}.stdin`), cli).toBe(newKey);
    expect(read("kubectl.stdin")).toBe(`data:\n  api-key: ${Buffer.from(newKey).toString("base64")}\n`);
    expect(read("curl.args")).toContain("-X POST https://hooks.example.com/deploy/abc");
    for (const cli of ["vault", "aws", "vercel", "gh", "kubectl", "curl"]) expect(read(`${cli}.args`), cli).not.toContain(newKey);
    expect(read("vercel.args")).toMatch(/^env rm API_KEY production --yes\nenv add API_KEY production\n$/);
    expect(run.output).not.toContain(newKey);
  });

  it("watch runs at once, then waits; SIGTERM stops it cleanly", async () => {
    const org = await makeOrg();
    const { secret } = await makeKey(org.id, { at: new Date() });
    const w = workspace(secret);
    const child = spawn(process.execPath, [
      "--import",
      "tsx",
      "packages/agent/src/cli.ts",
      "watch",
      "--interval",
      "600",
      "--key-file",
      w.keyFile,
      "--rekey",
      served.base,
    ]);
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    await expect.poll(() => output, { timeout: 20_000 }).toMatch(/Not due: /);
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    expect(await closed).toBe(0);
    expect(output).toMatch(/Watching .*rekey\.key: every 600 s\.\n[\s\S]*Stopped\.\n$/);
  });

  it("refuses a destination it cannot understand, before anything happens", async () => {
    const run = await agent(["rotate", "--key-file", "/nonexistent", "--to", "vault:secret/app"]);
    expect(run.code).toBe(2);
    expect(run.output).toMatch(/--to vault:secret\/app: a destination is file:PATH, dotenv:PATH#VARIABLE or exec:COMMAND/);
  });
});

describe("a dotenv variable", () => {
  it("is replaced where it stands, or appended, every other line kept", () => {
    expect(setDotenv("A=1\nAPI_KEY=old\nB=2\n", "API_KEY", "new")).toBe("A=1\nAPI_KEY=new\nB=2\n");
    expect(setDotenv("API_KEY='old' # note\r\nX=y\r\n", "API_KEY", "new")).toBe("API_KEY='new' # note\r\nX=y\r\n");
    expect(setDotenv("# API_KEY=commented\nMY_API_KEY=other", "API_KEY", "new")).toBe("# API_KEY=commented\nMY_API_KEY=other\nAPI_KEY=new\n");
    expect(setDotenv("", "API_KEY", "new")).toBe("API_KEY=new\n");
  });
});
