import "server-only";
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync, existsSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import { PrismaClient, Prisma } from "./generated/prisma/client";
import { ConflictError } from "./errors";
import { env, type Environment } from "./env";

export { Prisma };
export type Db = ReturnType<typeof makeClient>;
/** A Prisma client inside `$transaction`: what every mutation and the audit writer take. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export type DatabaseKind = "pglite" | "postgres";

export interface Database {
  prisma: Db;
  kind: DatabaseKind;
  /** For the schema engine (migrations). */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  /**
   * Subscribes to a NOTIFY channel, for as long as the process lives: a lost
   * connection is re-made with backoff, however long it takes. `onReset`
   * runs after every reconnect, since notifications may have been missed
   * meanwhile. Resolves after the first attempt, connected or not.
   */
  listen(channel: string, onMessage: (payload: string) => void, onReset?: () => void): Promise<Listener>;
  close(): Promise<void>;
  /** Statements sent so far, when opened with `countQueries` (else 0). */
  queryCount(): number;
  /** The embedded database itself (its own dump, for backups); undefined on a server. */
  pglite?: PGlite;
  /** The server's connection string (pg_dump, for backups); undefined when embedded. */
  url?: string;
}

/** A NOTIFY subscription. */
export interface Listener {
  /** Whether notifications are arriving now (false while reconnecting). */
  isUp(): boolean;
  /** Connections re-made after a loss, since the subscription began. */
  reconnects(): number;
  stop(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL server. */
  url?: string;
  /** A PGlite data folder, or "memory://" for a throwaway one. */
  dataDir?: string;
  /** An already-open PGlite (tests load one from a migrated dump). */
  pglite?: PGlite;
  /** Count the SQL statements sent (benchmarks): read with `Database.queryCount()`. */
  countQueries?: boolean;
}

// Interactive transactions queue behind each other (PGlite has one connection;
// the audit chain takes a lock): wait longer than Prisma's 2 s default.
const transactionOptions = { maxWait: 15_000, timeout: 30_000 };

// Secret columns stay out of every result unless a query asks for them.
const omit = { apiKey: { hash: true }, managementToken: { hash: true }, user: { passwordHash: true, totpSecret: true } } as const;

function makeClient(adapter: SqlMigrationAwareDriverAdapterFactory) {
  return new PrismaClient({ adapter, transactionOptions, omit });
}

/** Opens the database the options name. Only this module makes Prisma clients. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const counter = options.countQueries ? { n: 0 } : null;
  const db = options.url ? await openServer(options.url, counter) : await openEmbedded(options, counter);
  return { ...db, queryCount: () => counter?.n ?? 0 };
}

type Counter = { n: number } | null;

/**
 * With a counter, wraps the driver adapter so every statement sent (in or out
 * of a transaction) is counted; without one, the factory is used as it is.
 */
function counting(factory: SqlMigrationAwareDriverAdapterFactory, counter: Counter): SqlMigrationAwareDriverAdapterFactory {
  if (!counter) return factory;
  type Queryable = { queryRaw: (...a: never[]) => Promise<unknown>; executeRaw: (...a: never[]) => Promise<unknown> };
  const wrap = <T extends Queryable>(q: T): T => {
    const queryRaw = q.queryRaw.bind(q);
    const executeRaw = q.executeRaw.bind(q);
    return Object.assign(q, {
      queryRaw: (...a: never[]) => {
        counter.n++;
        return queryRaw(...a);
      },
      executeRaw: (...a: never[]) => {
        counter.n++;
        return executeRaw(...a);
      },
    });
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = wrap(await factory.connect());
      const start = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (...a) => wrap(await start(...a));
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}

async function openServer(url: string, counter: Counter): Promise<Omit<Database, "queryCount">> {
  const adapterFactory = new PrismaPg({ connectionString: url, max: env("REKEY_DB_POOL") });
  const prisma = makeClient(counting(adapterFactory, counter));
  const listeners = new Set<pg.Client>();
  let closed = false;
  return {
    prisma,
    kind: "postgres",
    url,
    adapterFactory: wholeScriptFactory(adapterFactory),
    async listen(channel, onMessage, onReset) {
      let up = false;
      let reconnects = 0;
      let stopped = false;
      let current: pg.Client | undefined;
      let firstAttempt!: () => void;
      const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
      const run = async () => {
        let delay = LISTEN_RETRY_MIN_MS;
        let everUp = false;
        while (!stopped && !closed) {
          const c = new pg.Client({ connectionString: url, keepAlive: true, connectionTimeoutMillis: 2_000 });
          const lost = new Promise<void>((resolve) => {
            c.on("error", () => resolve());
            c.on("end", () => resolve());
          });
          c.on("notification", (n) => n.channel === channel && onMessage(n.payload ?? ""));
          let ping: NodeJS.Timeout | undefined;
          try {
            await c.connect();
            await c.query(`LISTEN "${channel.replace(/"/g, "")}"`);
            current = c;
            listeners.add(c);
            up = true;
            delay = LISTEN_RETRY_MIN_MS;
            if (everUp) {
              reconnects++;
              onReset?.();
            }
            everUp = true;
            firstAttempt();
            // A connection can die without a word (a hung server, a cut network):
            // a ping that does not answer in time counts as a loss.
            ping = setInterval(() => {
              const timer = setTimeout(() => destroy(c), LISTEN_PING_TIMEOUT_MS);
              c.query("SELECT 1").then(
                () => clearTimeout(timer),
                () => destroy(c),
              );
            }, LISTEN_PING_MS);
            await lost;
          } catch {
            // Not reachable yet: try again below.
          }
          clearInterval(ping);
          up = false;
          listeners.delete(c);
          destroy(c);
          firstAttempt();
          if (stopped || closed) break;
          // Notifications sent while we were away are lost: the owner must not trust what it cached.
          if (everUp) onReset?.();
          await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random() / 2)));
          delay = Math.min(delay * 2, LISTEN_RETRY_MAX_MS);
        }
      };
      void run();
      await attempted;
      return {
        isUp: () => up,
        reconnects: () => reconnects,
        async stop() {
          stopped = true;
          if (current) {
            listeners.delete(current);
            destroy(current);
          }
        },
      };
    },
    async close() {
      closed = true;
      for (const c of listeners) destroy(c);
      await prisma.$disconnect();
    },
  };
}

// Reconnecting the LISTEN connection: quick at first, and never more than
// half a second apart, so revocations flow again within a second of the
// database coming back (the bound the README states).
const LISTEN_RETRY_MIN_MS = 50;
const LISTEN_RETRY_MAX_MS = 500;
const LISTEN_PING_MS = 5_000;
const LISTEN_PING_TIMEOUT_MS = 3_000;

function destroy(client: pg.Client): void {
  // end() waits for the server, which may be the thing that hung: cut the socket.
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  client.end().catch(() => {});
}

/**
 * @prisma/adapter-pg runs a migration script by splitting it on ";", which
 * cuts hand-written PL/pgSQL function bodies apart. PostgreSQL's simple-query
 * protocol runs a whole multi-statement script, in one implicit transaction,
 * so hand the script over whole.
 */
function wholeScriptFactory(factory: PrismaPg): SqlMigrationAwareDriverAdapterFactory {
  const patch = async (adapterPromise: ReturnType<PrismaPg["connect"]>) => {
    const adapter = await adapterPromise;
    const driver = adapter.underlyingDriver() as pg.Pool;
    adapter.executeScript = async (script: string) => {
      await driver.query(script);
    };
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => patch(factory.connect()),
    connectToShadowDb: () => patch(factory.connectToShadowDb()),
  };
}

async function openEmbedded(options: OpenDatabaseOptions, counter: Counter): Promise<Omit<Database, "queryCount">> {
  let pglite = options.pglite;
  let releaseLock = () => {};
  if (!pglite) {
    const dataDir = options.dataDir ?? defaultDataDir();
    if (!dataDir.startsWith("memory://")) {
      mkdirSync(dataDir, { recursive: true });
      releaseLock = takeFolderLock(dataDir);
    }
    pglite = await PGlite.create({ dataDir });
  }
  const db = pglite;
  const adapterFactory = new PrismaPGlite(db);
  const prisma = makeClient(counting(adapterFactory, counter));
  return {
    prisma,
    kind: "pglite",
    pglite: db,
    adapterFactory,
    async listen(channel, onMessage) {
      // In process: nothing between the database and the listener can fail.
      const unsubscribe = await db.listen(channel, onMessage);
      return { isUp: () => true, reconnects: () => 0, stop: unsubscribe };
    },
    async close() {
      await prisma.$disconnect();
      await db.close();
      releaseLock();
    },
  };
}

/** Where the embedded database and its generated secrets live. */
export function dataRoot(source: Environment = process.env): string {
  return path.resolve(/*turbopackIgnore: true*/ env("REKEY_DATA_DIR", source));
}

function defaultDataDir(): string {
  return path.join(dataRoot(), "pglite");
}

/**
 * PGlite has no cross-process lock and a second process would corrupt the
 * folder, so one process owns it, recorded by its PID in a lock file.
 */
function takeFolderLock(dataDir: string): () => void {
  const lockPath = folderLockPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      const release = () => {
        try {
          if (readFileSync(lockPath, "utf8") === String(process.pid)) unlinkSync(lockPath);
        } catch {}
      };
      process.once("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = folderOwner(dataDir);
      if (owner) {
        throw new Error(`The embedded database ${dataDir} is in use by process ${owner}. Stop it first (or set DATABASE_URL to use a PostgreSQL server).`);
      }
      if (existsSync(lockPath)) unlinkSync(lockPath);
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

function folderLockPath(dataDir: string): string {
  return path.join(dataDir, "..", `${path.basename(dataDir)}.lock`);
}

/** The live process (other than this one) that holds an embedded database folder, or null (a stale lock names a dead one). */
export function folderOwner(dataDir: string): number | null {
  let owner: number;
  try {
    owner = Number(readFileSync(folderLockPath(dataDir), "utf8"));
  } catch {
    return null;
  }
  return owner && owner !== process.pid && isAlive(owner) ? owner : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

type Holder = { promise?: Promise<Database> };
const holder: Holder = ((globalThis as { __rekeyDatabase?: Holder }).__rekeyDatabase ??= {});

/**
 * The process's database, opened on first use (never at import, so `next
 * build` does not touch it) and kept on globalThis so dev reloads reuse it.
 */
export function getDatabase(): Promise<Database> {
  if (!holder.promise) {
    holder.promise = openDatabase({ url: env("DATABASE_URL") });
    // The server's own database (tests and scripts open theirs and hand it over with useDatabase): from now on, every
    // revocation it commits reaches the revocation journal outside it within moments (lib/backup/journal.ts).
    void holder.promise
      .then(() => import("./backup/journal"))
      .then(
        (journal) => journal.watchRevocationJournal(),
        () => {},
      );
  }
  return holder.promise;
}

/** The process's Prisma client. */
export async function getPrisma(): Promise<Db> {
  return (await getDatabase()).prisma;
}

/** Makes `db` the process's database (tests and scripts that open their own). */
export function useDatabase(db: Database): void {
  holder.promise = Promise.resolve(db);
}

/** Closes the process's database, if one was opened. */
export async function closeDatabase(): Promise<void> {
  const current = holder.promise;
  holder.promise = undefined;
  if (current) await (await current).close();
}

/** Told, after a commit, the keyed hashes whose verification records the transaction changed (null: possibly all). */
export type CommitListener = (changedKeyHashes: (string | null)[]) => void;

// On globalThis, like the database: under `npm start` the server's fast path
// and Next's bundled routes each load this module, and a write through either
// must reach the caches of both.
const commitListeners: Set<CommitListener> = ((globalThis as { __rekeyCommitListeners?: Set<CommitListener> }).__rekeyCommitListeners ??= new Set());

/**
 * Runs `listener` after every transaction that inTransaction commits in this
 * process and that changed a key's verification record. Caches of this
 * process use it to see their own writes at once; other instances learn of
 * changes through NOTIFY, which arrives a moment later.
 */
export function onCommit(listener: CommitListener): void {
  commitListeners.add(listener);
}

/**
 * Runs `fn` in one transaction: every state change goes through here. A
 * unique-constraint violation (the loser of a race, e.g. a second open
 * rotation for a key) becomes a ConflictError with `conflictMessage`, not a 500.
 */
export async function inTransaction<T>(fn: (tx: Tx) => Promise<T>, conflictMessage = "That changed at the same time; reload and try again."): Promise<T> {
  const prisma = await getPrisma();
  let result: T;
  let changed: (string | null)[];
  try {
    [result, changed] = await prisma.$transaction(async (tx) => {
      const value = await fn(tx);
      // The triggers wrote every changed record's hash to key_changes under this
      // transaction's id: the caches forget exactly those, not everything on
      // every write (an alert raised each second would otherwise empty them).
      const rows = await tx.$queryRaw<{ hash: string | null }[]>`SELECT hash FROM key_changes WHERE xid = pg_current_xact_id_if_assigned()`;
      return [value, rows.map((r) => r.hash)] as const;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError(conflictMessage);
    throw error;
  }
  if (changed.length) for (const listener of commitListeners) listener(changed);
  return result;
}

function isUniqueViolation(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return error.code === "P2002";
  const text = String((error as { message?: unknown })?.message ?? "");
  return /unique constraint|duplicate key value/i.test(text);
}
