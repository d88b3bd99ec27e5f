import { readFile, unlink } from "node:fs/promises";
import { createRekeyClient, type paths } from "../../client/src";
import { type Destination, type Io, runWithKey, type Snapshot, writeAtomic } from "./destinations";

type Standing = paths["/api/v1/keys/self"]["get"]["responses"]["200"]["content"]["application/json"];
type Report = paths["/api/v1/keys/self/reports"]["post"]["requestBody"]["content"]["application/json"];

export interface AgentOptions {
  /** Where rekey runs, e.g. https://rekey.example.com. */
  rekey: string;
  /** The file that holds the key this agent looks after (the key alone; surrounding white space is ignored). */
  keyFile: string;
  destinations: Destination[];
  /** A command that gets the new key on its standard input and exits 0 when the key works where it was delivered. */
  check?: string;
  /** Rotate even when the key is not due. */
  force: boolean;
  io: Io;
  fetch?: typeof fetch;
}

/** Exit statuses: 0 done (or nothing to do), 1 a delivery or check failed (the old key kept), 2 bad use or rekey unreachable, 3 a person must act. */
export const EXIT = { ok: 0, failed: 1, usage: 2, person: 3 } as const;

export class AgentError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The new key as the agent keeps it while it delivers: beside the key file, so a crash at any step resumes without a second rotation. */
export const pendingFile = (keyFile: string) => `${keyFile}.next`;

/**
 * One run: asks rekey whether the key is due; when it is (or `force`), the
 * key rotates itself, the successor is written to `<key file>.next` (0600)
 * before anything else, delivered to every destination in order, checked,
 * and only then written over the key file; rekey is told how it went. A
 * destination or check that fails puts every destination back, keeps the old
 * key (and the `.next` file, for the next run to retry), reports the failure
 * and exits 1. A run that finds a `.next` file resumes that delivery.
 */
export async function runOnce(o: AgentOptions): Promise<number> {
  const { io } = o;
  const current = (await readKey(o.keyFile))!;
  const next = pendingFile(o.keyFile);
  const pending = await readKey(next, true);
  if (pending && pending === current) {
    // The key file was replaced, but the run stopped before it tidied up.
    await report(o, current, { outcome: "delivered", destinations: o.destinations.map((d) => d.label) });
    await unlink(next);
    io.log(`The key file already holds the new key; ${next} removed.`);
    return EXIT.ok;
  }
  if (pending) {
    const standing = await askStanding(o, pending);
    if (standing) {
      io.log(`Resuming the delivery of ${standing.key.prefix}… found in ${next}.`);
      return deliver(o, current, pending, standing.key.prefix);
    }
    io.log(`${next} holds a key rekey no longer accepts (its rotation was rolled back or it was revoked): removed.`);
    await unlink(next);
  }
  const standing = await askStanding(o, current);
  if (!standing) throw new AgentError(`The key in ${o.keyFile} is not known to rekey, or is revoked or expired: it cannot rotate itself.`, EXIT.person);
  if (standing.action === "portal") throw new AgentError(standing.reason, EXIT.person);
  if (standing.action === "wait" && !o.force) {
    io.log(`Not due: ${standing.reason}`);
    return EXIT.ok;
  }
  io.log(standing.action === "rotate" ? `Due: ${standing.reason}` : `Rotating ${standing.key.prefix}… now (--force).`);
  const client = createRekeyClient({ baseUrl: o.rekey, token: current, fetch: o.fetch });
  const { data, error, response } = await call(o, () => client.POST("/api/v1/keys/rotate"));
  if (!data) throw new AgentError(`rekey refused the rotation (${response.status}): ${error?.error.message ?? "no reason given"}`, EXIT.person);
  const successor = data.successorKey;
  // Before anything else: from here on, a crash must not lose the only copy of the new key.
  await writeAtomic(next, successor, 0o600);
  io.log(`Rotated: ${data.successor.prefix}… is the new key; ${standing.key.prefix}… works until ${data.rotation.graceEndsAt}.`);
  return deliver(o, current, successor, data.successor.prefix ?? "the new key");
}

async function deliver(o: AgentOptions, oldKey: string, newKey: string, newPrefix: string): Promise<number> {
  const { io } = o;
  const snapshots: Snapshot[] = [];
  for (const d of o.destinations) snapshots.push(await d.snapshot());
  const reached: number[] = [];
  const fail = async (failedAt: string, why: string) => {
    io.log(`Failed at ${failedAt}: ${why}. Putting every destination back.`);
    for (const i of reached.reverse()) {
      const d = o.destinations[i];
      try {
        await d.restore(snapshots[i], oldKey, newKey, io);
        io.log(`  restored ${d.label}`);
      } catch (error) {
        io.log(`  could not restore ${d.label}: ${io.redact((error as Error).message)}`);
      }
    }
    await report(o, oldKey, { outcome: "failed", destinations: o.destinations.map((d) => d.label), failedAt, message: why });
    return new AgentError(
      `The new key was not delivered: ${failedAt} failed (${why}). The old key stays in ${o.keyFile} and keeps working until the rotation's deadline; the new key waits in ${pendingFile(o.keyFile)} for the next run.`,
      EXIT.failed,
    );
  };
  for (const [i, d] of o.destinations.entries()) {
    // Counted before it runs: a command that fails half-way is put back too.
    reached.push(i);
    try {
      await d.deliver(newKey, io);
      io.log(`Delivered to ${d.label}.`);
    } catch (error) {
      throw await fail(d.label, io.redact((error as Error).message));
    }
  }
  if (o.check) {
    try {
      await runWithKey(o.check, newKey, "check", io);
      io.log("The check passed.");
    } catch (error) {
      throw await fail("check", io.redact((error as Error).message));
    }
  }
  await writeAtomic(o.keyFile, newKey, 0o600);
  await report(o, newKey, { outcome: "delivered", destinations: o.destinations.map((d) => d.label) });
  await unlink(pendingFile(o.keyFile));
  io.log(`Done: ${newPrefix}… is in ${o.keyFile} and ${o.destinations.length} destination${o.destinations.length === 1 ? "" : "s"}.`);
  return EXIT.ok;
}

/** The key's standing, or null when rekey does not accept the key (401). */
async function askStanding(o: AgentOptions, key: string): Promise<Standing | null> {
  const client = createRekeyClient({ baseUrl: o.rekey, token: key, fetch: o.fetch });
  const { data, error, response } = await call(o, () => client.GET("/api/v1/keys/self"));
  if (data) return data;
  if (response.status === 401) return null;
  throw new AgentError(`rekey could not say whether the key is due (${response.status}): ${error?.error.message ?? "no reason given"}`, EXIT.usage);
}

/** Tells rekey how the delivery went; a report that cannot be sent is a warning, not a failure (the delivery stands). */
async function report(o: AgentOptions, key: string, body: Report): Promise<void> {
  const client = createRekeyClient({ baseUrl: o.rekey, token: key, fetch: o.fetch });
  try {
    const { error, response } = await call(o, () => client.POST("/api/v1/keys/self/reports", { body }));
    if (error) o.io.log(`Warning: rekey did not take the report (${response.status}): ${error.error.message}`);
  } catch (error) {
    o.io.log(`Warning: ${(error as Error).message}`);
  }
}

/** A request to rekey; unreachable is an AgentError that says where it tried. */
async function call<T>(o: AgentOptions, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw new AgentError(`Cannot reach rekey at ${o.rekey}: ${(error as Error).message}`, EXIT.usage);
  }
}

/** The key a file holds, trimmed; null for a missing file only when `optional`. */
async function readKey(file: string, optional = false): Promise<string | null> {
  try {
    const key = (await readFile(file, "utf8")).trim();
    if (!key) throw new AgentError(`${file} is empty: it should hold the key.`, EXIT.usage);
    return key;
  } catch (error) {
    if (error instanceof AgentError) throw error;
    if (optional && (error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new AgentError(`Cannot read the key file ${file}: ${(error as Error).message}`, EXIT.usage);
  }
}
