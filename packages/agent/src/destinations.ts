import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, readFile, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * Where the agent delivers a key: the places the customer's services read it
 * from. Each destination can be restored: to exactly what it held before the
 * delivery (a file, a dotenv file), or by delivering the old key again (a
 * command: the only way back through a vault's or a platform's CLI).
 */
export interface Destination {
  /** What messages and reports call it: a path or a program's name, never a key and never a whole command (it may hold a token). */
  readonly label: string;
  /** What it holds now, so a failed delivery can put it back. */
  snapshot(): Promise<Snapshot>;
  deliver(key: string, io: Io): Promise<void>;
  /** Puts back what `snapshot` saw; when that already held `newKey` (a delivery resumed after a crash), delivers `oldKey` instead. */
  restore(snapshot: Snapshot, oldKey: string, newKey: string, io: Io): Promise<void>;
}

export type Snapshot = { kind: "absent" } | { kind: "file"; content: string; mode: number } | { kind: "none" };

/** How the agent runs commands and shows their output: every line passes through `redact`, so no key reaches a terminal or a log. */
export interface Io {
  log(line: string): void;
  redact(text: string): string;
  /** Seconds a command may run before it is killed and counted as failed. */
  timeoutSeconds: number;
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `--to` value: `file:PATH`, `dotenv:PATH#VARIABLE` or `exec:COMMAND`; a clear error for anything else. */
export function parseDestination(spec: string): Destination {
  const colon = spec.indexOf(":");
  const kind = colon > 0 ? spec.slice(0, colon) : "";
  const rest = colon > 0 ? spec.slice(colon + 1) : "";
  if (kind === "file") {
    if (!rest) throw new Error(`--to ${spec}: name the file, as file:/etc/myapp/api-key`);
    return fileDestination(path.resolve(rest));
  }
  if (kind === "dotenv") {
    const hash = rest.lastIndexOf("#");
    const file = hash > 0 ? rest.slice(0, hash) : "";
    const variable = hash > 0 ? rest.slice(hash + 1) : "";
    if (!file || !VARIABLE.test(variable)) throw new Error(`--to ${spec}: name the file and the variable, as dotenv:/srv/myapp/.env#API_KEY`);
    return dotenvDestination(path.resolve(file), variable);
  }
  if (kind === "exec") {
    if (!rest.trim()) throw new Error(`--to ${spec}: name the command, as exec:"vault kv put secret/myapp api_key=-"`);
    return execDestination(rest);
  }
  throw new Error(`--to ${spec}: a destination is file:PATH, dotenv:PATH#VARIABLE or exec:COMMAND`);
}

/**
 * The whole file is the key (no newline: a service that reads the file raw
 * gets the key and nothing else). A file that exists keeps its mode (a
 * service's group may need to read it); a new one is the owner's only.
 */
function fileDestination(file: string): Destination {
  return {
    label: `file:${file}`,
    snapshot: () => snapshotFile(file),
    async deliver(key) {
      const before = await snapshotFile(file);
      await writeAtomic(file, key, before.kind === "file" ? before.mode : 0o600);
    },
    restore: (snap, oldKey, newKey) => restoreFile(file, snap, oldKey, newKey),
  };
}

/**
 * One variable of a dotenv file: its value is replaced where it stands
 * (keeping `export`, its quotes and a trailing comment), every other line and
 * comment kept as it was; a variable the file lacks is appended.
 */
function dotenvDestination(file: string, variable: string): Destination {
  const withValue = async (value: string) => {
    const before = await snapshotFile(file);
    const text = before.kind === "file" ? before.content : "";
    return { text: setDotenv(text, variable, value), mode: before.kind === "file" ? before.mode : 0o600 };
  };
  return {
    label: `dotenv:${file}#${variable}`,
    snapshot: () => snapshotFile(file),
    async deliver(key) {
      const { text, mode } = await withValue(key);
      await writeAtomic(file, text, mode);
    },
    async restore(snap, oldKey, newKey) {
      if (snap.kind === "file" && snap.content.includes(newKey)) {
        const { text, mode } = await withValue(oldKey);
        return writeAtomic(file, text, mode);
      }
      return restoreFile(file, snap, oldKey, newKey);
    },
  };
}

/** The text of a dotenv file with `variable` set to `value` (see dotenvDestination). */
export function setDotenv(text: string, variable: string, value: string): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const line = new RegExp(`^(\\s*(?:export\\s+)?${variable}\\s*=\\s*)(?:(["'])(?:[^"'\\\\]|\\\\.)*\\2|[^\\s#]*)(.*)$`);
  let found = false;
  const out = lines.map((l) => {
    const m = line.exec(l);
    if (!m) return l;
    found = true;
    const quote = m[2] ?? "";
    return `${m[1]}${quote}${value}${quote}${m[3]}`;
  });
  if (found) return out.join(eol);
  const body = text === "" || text.endsWith("\n") ? text : text + eol;
  return `${body}${variable}=${value}${eol}`;
}

/**
 * A command, run as `/bin/sh -c COMMAND`, that takes the key on its standard
 * input: never in its arguments or environment, which `ps` and
 * /proc/PID/environ show. It fails when it exits with another status than 0
 * or runs past the timeout. Restored by running it again with the old key.
 */
function execDestination(command: string): Destination {
  const program = path.basename(command.trim().split(/\s+/)[0]);
  return {
    label: `exec:${program}`,
    snapshot: async () => ({ kind: "none" }),
    deliver: (key, io) => runWithKey(command, key, `exec:${program}`, io),
    restore: (_snap, oldKey, _newKey, io) => runWithKey(command, oldKey, `exec:${program}`, io),
  };
}

/** Runs `command` with `key` on its standard input; its output, redacted, goes to the agent's log under `label`. */
export function runWithKey(command: string, key: string, label: string, io: Io): Promise<void> {
  return new Promise((resolve, reject) => {
    // Node's "pipe" is a socket, which /dev/stdin cannot be opened on (ENXIO): `cat` hands the command a real pipe,
    // so `--secret-string file:///dev/stdin` and `--from-file=/dev/stdin` work as they do in a terminal.
    const child = spawn("/bin/sh", ["-c", `cat | {\n${command}\n}`], { stdio: ["pipe", "pipe", "pipe"] });
    const print = (chunk: Buffer) => {
      for (const line of io.redact(chunk.toString("utf8")).split(/\r?\n/)) if (line.trim()) io.log(`  ${label}: ${line}`);
    };
    child.stdout.on("data", print);
    child.stderr.on("data", print);
    const timer = setTimeout(() => child.kill("SIGKILL"), io.timeoutSeconds * 1000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (signal === "SIGKILL") reject(new Error(`ran longer than ${io.timeoutSeconds} s and was stopped`));
      else reject(new Error(signal ? `was stopped by ${signal}` : `exited with status ${code}`));
    });
    // A command that does not read its input closes the pipe: that is its business, not a failure.
    child.stdin.on("error", () => {});
    child.stdin.end(key);
  });
}

async function snapshotFile(file: string): Promise<Snapshot> {
  try {
    const [content, info] = await Promise.all([readFile(file, "utf8"), stat(file)]);
    return { kind: "file", content, mode: info.mode & 0o777 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "absent" };
    throw error;
  }
}

async function restoreFile(file: string, snap: Snapshot, oldKey: string, newKey: string): Promise<void> {
  if (snap.kind === "file" && snap.content.includes(newKey)) return writeAtomic(file, oldKey, 0o600);
  if (snap.kind === "file") return writeAtomic(file, snap.content, snap.mode);
  if (snap.kind === "absent") await unlink(file).catch((error) => ((error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : Promise.reject(error)));
}

/**
 * Replaces `file` with `content` so that a reader sees the old file or the
 * new one, never a part: written to a new file beside it (created with
 * `mode`, so the key is never readable by others even for a moment),
 * flushed, renamed over it, and the directory flushed so the rename survives
 * a power cut.
 */
export async function writeAtomic(file: string, content: string, mode: number): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.rekey-${randomBytes(6).toString("hex")}`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.writeFile(content, "utf8");
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  const directory = await open(dir, constants.O_RDONLY).catch(() => null);
  if (directory) {
    await directory.sync().catch(() => {});
    await directory.close();
  }
}
