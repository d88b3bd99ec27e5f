import "server-only";
import { getPrisma, inTransaction, type Tx } from "./db";
import { generateApiKey } from "./keys/format";
import { hashSecret } from "./keys/hash";
import { appendAuditEvents, type AuditInput } from "./audit/write";
import { bulkInsert } from "./bulk";
import { DEFAULT_POLICY } from "./policies/defaults";
import { recordPolicyAssignment, recordPolicyVersion } from "./policies/history";
import type { Actor } from "./auth/actor";
import { createUsers } from "./auth/users";
import { randomBytes } from "node:crypto";
import { analyze } from "./cron/maintenance";
import { env } from "./env";

const SEED: Actor = "system:seed";
const DAY = 86_400_000;
const HOUR = 3_600_000;
const CHUNK = 5_000;

/** A small deterministic PRNG (mulberry32) so every demo world looks the same. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORGS = [
  { name: "Acme Logistics", contactEmails: ["platform@acme.example", "security@acme.example"], timeZone: "America/Chicago" },
  { name: "Globex Payments", contactEmails: ["api-team@globex.example"], timeZone: "Europe/London", strict: true },
  { name: "Initech", contactEmails: ["it@initech.example"], timeZone: "America/New_York" },
  { name: "Umbrella Health", contactEmails: ["devops@umbrella.example", "ciso@umbrella.example"], timeZone: "Europe/Berlin", strict: true },
  { name: "Hooli Cloud", contactEmails: ["infra@hooli.example"], timeZone: "America/Los_Angeles" },
  { name: "Tyrell Robotics", contactEmails: ["sre@tyrell.example"], timeZone: "Asia/Tokyo" },
];
const KEY_NAMES = ["production backend", "billing worker", "mobile app", "data export", "webhooks", "CI pipeline", "partner integration", "analytics"];
const SCOPES = [["read:orders"], ["read:orders", "write:orders"], ["read:invoices", "write:invoices"], ["admin"], ["read:reports"]];

export interface SeedOptions {
  keys?: number;
  now?: Date;
}

export interface SeedSummary {
  organizations: number;
  keys: number;
  rotations: Record<string, number>;
}

/** Deletes every row of every table (seed --reset, tests). The audit trail's append-only trigger does not fire on TRUNCATE. */
export async function deleteAllData(): Promise<void> {
  const prisma = await getPrisma();
  // TRUNCATE locks its tables one by one in the order listed; a write in flight that holds a later one and then wants
  // an earlier one (the usage batch: key_usage_hourly, then api_keys' trigger) is a deadlock PostgreSQL breaks by
  // failing one side. The batch retries on its own; the TRUNCATE is simply tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      await prisma.$executeRawUnsafe(
        `TRUNCATE webhook_deliveries, webhook_endpoints, policy_versions, policy_assignments, audit_events, audit_checkpoints, settings, recovery_codes, passkeys, webauthn_challenges, notifications, alerts, key_usage_hourly, verification_counts, cron_runs, verification_tokens, user_sessions, rate_limit_counters, agent_reports, rotations, api_keys, management_tokens, users, organizations, rotation_policies, hash_versions`,
      );
      return;
    } catch (error) {
      if (attempt >= 5 || !isDeadlock(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

function isDeadlock(error: unknown): boolean {
  return /\b40P01\b|deadlock detected/.test(error instanceof Error ? error.message : String(error));
}

/** True when the database holds no organization yet (a fresh install). */
export async function isDatabaseEmpty(): Promise<boolean> {
  const prisma = await getPrisma();
  return (await prisma.organization.count()) === 0;
}

/**
 * Creates the demo world: policies, organizations, `keys` keys of varied ages
 * (some past 90 days), rotations in every state with their successors, and
 * usage for the keys in grace. Set-based (bulk inserts in chunks), so 100,000
 * keys take seconds. The keys' secrets are generated and thrown away: demo
 * keys cannot be used, exactly as a real key's secret is never kept.
 */
export async function seedDemoWorld(options: SeedOptions = {}): Promise<SeedSummary> {
  const total = Math.max(20, options.keys ?? 300);
  const now = options.now ?? new Date();
  const random = prng(42);
  const prisma = await getPrisma();

  const { orgs, orgRows } = await inTransaction(async (tx) => {
    // The demo world began 400 days ago, policies included: reports over its past periods find the policies of then.
    const began = new Date(now.getTime() - 400 * DAY);
    const standard = await tx.rotationPolicy.create({ data: { ...DEFAULT_POLICY, customersManageKeys: true, isDefault: true, createdAt: began } });
    const strict = await tx.rotationPolicy.create({
      data: {
        name: "Strict (payments and health)",
        maxAgeDays: 30,
        gracePeriodHours: 24,
        emergencyGraceHours: 1,
        noticeDays: 5,
        maxPostponements: 1,
        postponeDays: 7,
        waitForSuccessorUse: true,
        createdAt: began,
      },
    });
    for (const p of [standard, strict]) await recordPolicyVersion(tx, p.id, began);
    const orgRows = [];
    for (const org of ORGS) {
      const row = await tx.organization.create({
        data: { name: org.name, contactEmails: org.contactEmails, timeZone: org.timeZone, policyId: org.strict ? strict.id : null, createdAt: began },
      });
      await recordPolicyAssignment(tx, row.id, row.policyId, began);
      orgRows.push(row);
    }
    await appendAuditEvents(
      tx,
      [
        ...[standard, strict].map((p) => ({ actor: SEED, action: "policy.created", after: { name: p.name, maxAgeDays: p.maxAgeDays } })),
        ...orgRows.map((o) => ({ actor: SEED, action: "organization.created", organizationId: o.id, after: { name: o.name, contactEmails: o.contactEmails } })),
      ],
      now,
    );
    return { orgs: orgRows.map((o) => o.id), orgRows };
  });

  // Keys: ages spread over 0-150 days, so about a third are past 90.
  type KeyRow = {
    id: string;
    organizationId: string;
    name: string;
    environment: "live" | "test";
    prefix: string;
    hash: string;
    hashVersion: number;
    scopes: string[];
    rateLimit: number;
    status: "active" | "expiring" | "revoked";
    createdAt: Date;
    lastUsedAt: Date | null;
    revokedAt: Date | null;
    predecessorId: string | null;
  };
  const keys: KeyRow[] = [];
  const mint = (base: Omit<KeyRow, "id" | "prefix" | "hash" | "hashVersion">): KeyRow => {
    const { secret, prefix } = generateApiKey(base.environment);
    return { ...base, id: crypto.randomUUID(), prefix, ...hashSecret(secret) };
  };
  for (let i = 0; i < total; i++) {
    const createdAt = new Date(now.getTime() - Math.floor(random() * 150 * DAY));
    const used = random();
    keys.push(
      mint({
        organizationId: orgs[i % orgs.length],
        name: KEY_NAMES[Math.floor(random() * KEY_NAMES.length)],
        environment: random() < 0.75 ? "live" : "test",
        scopes: SCOPES[Math.floor(random() * SCOPES.length)],
        rateLimit: [600, 1000, 5000][Math.floor(random() * 3)],
        status: "active",
        createdAt,
        lastUsedAt: used < 0.85 ? new Date(now.getTime() - Math.floor(used * 2 * DAY)) : null,
        revokedAt: null,
        predecessorId: null,
      }),
    );
  }

  // Rotations in every state over the oldest keys, so the story is plausible.
  type RotationRow = {
    id: string;
    keyId: string;
    successorId: string | null;
    openKeyId: string | null;
    kind: "scheduled" | "manual" | "emergency";
    state: "scheduled" | "grace" | "completed" | "cancelled" | "rolled_back" | "failed";
    reason: string | null;
    gracePeriodHours: number;
    scheduledAt: Date;
    startedAt: Date | null;
    graceEndsAt: Date | null;
    completedAt: Date | null;
    cancelledAt: Date | null;
    rolledBackAt: Date | null;
    failedAt: Date | null;
    failureReason: string | null;
    createdBy: string;
    createdAt: Date;
    updatedAt: Date;
  };
  const rotations: RotationRow[] = [];
  const byAge = [...keys].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const scale = Math.max(1, Math.round(total / 300));
  const plan: [RotationRow["state"], number][] = [
    ["completed", 20 * scale],
    ["grace", 8 * scale],
    ["scheduled", 12 * scale],
    ["cancelled", 3 * scale],
    ["rolled_back", 2 * scale],
    ["failed", 1 * scale],
  ];
  let cursor = 0;
  for (const [state, count] of plan) {
    for (let n = 0; n < count && cursor < byAge.length; n++, cursor++) {
      const old = byAge[cursor];
      const kind: RotationRow["kind"] = state === "completed" && n % 7 === 0 ? "emergency" : state === "scheduled" || n % 3 === 0 ? "scheduled" : "manual";
      const grace = kind === "emergency" ? 4 : 72;
      const base = {
        id: crypto.randomUUID(),
        keyId: old.id,
        successorId: null as string | null,
        openKeyId: null as string | null,
        graceEndsAt: null as Date | null,
        kind,
        state,
        reason: kind === "emergency" ? "key found in a public repository" : "routine rotation",
        gracePeriodHours: grace,
        startedAt: null as Date | null,
        completedAt: null as Date | null,
        cancelledAt: null as Date | null,
        rolledBackAt: null as Date | null,
        failedAt: null as Date | null,
        failureReason: null as string | null,
        createdBy: SEED,
        updatedAt: now,
      };
      const successorOf = (at: Date) => {
        const s = mint({
          ...old,
          status: "active",
          createdAt: at,
          lastUsedAt: new Date(now.getTime() - Math.floor(random() * HOUR)),
          revokedAt: null,
          predecessorId: old.id,
        });
        keys.push(s);
        return s.id;
      };
      if (state === "completed") {
        const start = new Date(now.getTime() - (5 + Math.floor(random() * 40)) * DAY);
        old.status = "revoked";
        old.revokedAt = new Date(start.getTime() + grace * HOUR);
        rotations.push({
          ...base,
          scheduledAt: start,
          startedAt: start,
          graceEndsAt: old.revokedAt,
          completedAt: old.revokedAt,
          successorId: successorOf(start),
          createdAt: start,
        });
      } else if (state === "grace") {
        const start = new Date(now.getTime() - (6 + Math.floor(random() * 60)) * HOUR);
        old.status = "expiring";
        old.lastUsedAt = new Date(now.getTime() - Math.floor(random() * 30) * 60_000);
        rotations.push({
          ...base,
          openKeyId: old.id,
          scheduledAt: start,
          startedAt: start,
          graceEndsAt: new Date(start.getTime() + grace * HOUR),
          successorId: successorOf(start),
          createdAt: start,
        });
      } else if (state === "scheduled") {
        const at = new Date(now.getTime() + (1 + Math.floor(random() * 7)) * DAY);
        rotations.push({
          ...base,
          openKeyId: old.id,
          scheduledAt: at,
          graceEndsAt: new Date(at.getTime() + grace * HOUR),
          createdAt: new Date(now.getTime() - 2 * DAY),
        });
      } else if (state === "cancelled") {
        const at = new Date(now.getTime() - 20 * DAY);
        rotations.push({
          ...base,
          scheduledAt: at,
          cancelledAt: new Date(at.getTime() - DAY),
          reason: "customer asked to wait for their release",
          createdAt: new Date(at.getTime() - 7 * DAY),
        });
      } else if (state === "rolled_back") {
        const start = new Date(now.getTime() - 12 * DAY);
        const successorId = successorOf(start);
        const lost = keys[keys.length - 1];
        lost.status = "revoked";
        lost.revokedAt = new Date(start.getTime() + 2 * HOUR);
        lost.lastUsedAt = new Date(start.getTime() + HOUR);
        rotations.push({
          ...base,
          scheduledAt: start,
          startedAt: start,
          graceEndsAt: new Date(start.getTime() + grace * HOUR),
          rolledBackAt: new Date(start.getTime() + 2 * HOUR),
          successorId,
          reason: "client could not reload its configuration",
          createdAt: start,
        });
      } else {
        const at = new Date(now.getTime() - 3 * DAY);
        rotations.push({
          ...base,
          scheduledAt: at,
          failedAt: at,
          failureReason: "organization had no contact to notify",
          createdAt: new Date(at.getTime() - 7 * DAY),
        });
      }
    }
  }

  // Usage for keys in grace: the old key's traffic falling, the new key's rising.
  const usage: { keyId: string; hour: Date; verifications: number; rejected: number }[] = [];
  const thisHour = Math.floor(now.getTime() / HOUR) * HOUR;
  for (const r of rotations.filter((x) => x.state === "grace")) {
    const started = Math.floor(r.startedAt!.getTime() / HOUR) * HOUR;
    for (let h = thisHour - 47 * HOUR; h <= thisHour; h += HOUR) {
      const base = 80 + Math.floor(random() * 40);
      const progress = h < started ? 0 : Math.min(1, (h - started) / (48 * HOUR));
      usage.push({ keyId: r.keyId, hour: new Date(h), verifications: Math.round(base * (1 - progress * 0.9)), rejected: 0 });
      if (h >= started) usage.push({ keyId: r.successorId!, hour: new Date(h), verifications: Math.round(base * progress), rejected: 0 });
    }
  }

  const insertChunks = async <T>(rows: T[], insert: (tx: Tx, chunk: T[]) => Promise<unknown>) => {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const chunk = rows.slice(i, i + CHUNK);
      await inTransaction((tx) => insert(tx, chunk));
    }
  };
  const orgName = new Map(orgRows.map((o) => [o.id, o.name]));
  await insertChunks(keys, async (tx, chunk) => {
    await bulkInsert(
      tx,
      "api_keys",
      {
        id: "text",
        organizationId: "text",
        name: "text",
        environment: "enum:Environment",
        prefix: "text",
        hash: "text",
        hashVersion: "int",
        scopes: "text[]",
        rateLimit: "int",
        status: "enum:KeyStatus",
        createdAt: "timestamptz",
        firstUsedAt: "timestamptz",
        lastUsedAt: "timestamptz",
        revokedAt: "timestamptz",
        predecessorId: "text",
      },
      // A used key was first used within an hour of its creation (or at its last use, if sooner).
      chunk.map((k) => ({ ...k, firstUsedAt: k.lastUsedAt && new Date(Math.min(k.createdAt.getTime() + HOUR, k.lastUsedAt.getTime())) })),
    );
  });
  await insertChunks(rotations, async (tx, chunk) => {
    await bulkInsert(
      tx,
      "rotations",
      {
        id: "text",
        keyId: "text",
        successorId: "text",
        openKeyId: "text",
        kind: "enum:RotationKind",
        state: "enum:RotationState",
        reason: "text",
        gracePeriodHours: "int",
        scheduledAt: "timestamptz",
        startedAt: "timestamptz",
        graceEndsAt: "timestamptz",
        completedAt: "timestamptz",
        cancelledAt: "timestamptz",
        rolledBackAt: "timestamptz",
        failedAt: "timestamptz",
        failureReason: "text",
        createdBy: "text",
        createdAt: "timestamptz",
        updatedAt: "timestamptz",
      },
      chunk,
    );
  });
  // The demo world's history in the audit trail, each event at the time it happened and in that order, so reports over
  // past periods have evidence to show (actor system:seed: it is demo data, and says so).
  const keyById = new Map(keys.map((k) => [k.id, k]));
  const history: (AuditInput & { at: Date })[] = keys.map((k) => ({
    at: k.createdAt,
    actor: SEED,
    action: "key.created",
    organizationId: k.organizationId,
    keyId: k.id,
    keyFingerprint: k.prefix,
    reason: k.predecessorId ? `successor of ${keyById.get(k.predecessorId)!.prefix} (demo data)` : `demo data for ${orgName.get(k.organizationId)}`,
    after: { status: "active", environment: k.environment, scopes: k.scopes },
  }));
  for (const r of rotations) {
    const k = keyById.get(r.keyId)!;
    const ev = (at: Date, action: string, extra: Partial<AuditInput> = {}) =>
      history.push({
        at,
        actor: SEED,
        action,
        organizationId: k.organizationId,
        keyId: k.id,
        keyFingerprint: k.prefix,
        rotationId: r.id,
        reason: r.reason,
        ...extra,
      });
    if (r.startedAt)
      ev(r.startedAt, "rotation.started", { after: { kind: r.kind, state: "grace", graceEndsAt: r.graceEndsAt, gracePeriodHours: r.gracePeriodHours } });
    else ev(r.createdAt, "rotation.scheduled", { after: { kind: r.kind, state: "scheduled", scheduledAt: r.scheduledAt, graceEndsAt: r.graceEndsAt } });
    if (r.completedAt) {
      ev(r.completedAt, "rotation.completed", { before: { state: "grace" }, after: { state: "completed" } });
      ev(r.completedAt, "key.revoked", { before: { status: "expiring" }, after: { status: "revoked" } });
    }
    if (r.cancelledAt) ev(r.cancelledAt, "rotation.cancelled", { before: { state: "scheduled" }, after: { state: "cancelled" } });
    if (r.failedAt) ev(r.failedAt, "rotation.failed", { outcome: "failure", reason: r.failureReason, after: { state: "failed" } });
    if (r.rolledBackAt) {
      ev(r.rolledBackAt, "rotation.rolled_back", { before: { state: "grace" }, after: { state: "rolled_back" } });
      const lost = keyById.get(r.successorId!)!;
      ev(r.rolledBackAt, "key.revoked", { keyId: lost.id, keyFingerprint: lost.prefix, before: { status: "active" }, after: { status: "revoked" } });
    }
  }
  history.sort((a, b) => a.at.getTime() - b.at.getTime());
  await insertChunks(history, (tx, chunk) => appendAuditEvents(tx, chunk, now));
  await insertChunks(usage, (tx, chunk) =>
    bulkInsert(tx, "key_usage_hourly", { keyId: "text", hour: "timestamptz", verifications: "int", rejected: "int" }, chunk),
  );

  const counts: Record<string, number> = {};
  for (const r of rotations) counts[r.state] = (counts[r.state] ?? 0) + 1;
  // A bulk load: statistics now, so the first queries plan for the rows that are there (PGlite runs no autovacuum).
  await analyze(prisma);
  return { organizations: orgs.length, keys: keys.length, rotations: counts };
}

/**
 * Demo staff for the demo world: an operator and an auditor, each with a
 * password of their own, generated and shown once by `npm start` (so the
 * read-only auditor does not know the operator's). REKEY_DEMO_PASSWORD sets
 * one for both, for tests that must sign in as them.
 */
export async function createDemoStaff(now: Date) {
  const password = () => env("REKEY_DEMO_PASSWORD") ?? randomBytes(12).toString("base64url");
  const users = [
    { email: "operator@rekey.local", name: "Olivia Operator", role: "operator" as const, password: password() },
    { email: "auditor@rekey.local", name: "Arthur Auditor", role: "auditor" as const, password: password() },
  ];
  await createUsers(users, { actor: SEED, now });
  return users;
}

/** Demo customers (one per organization, the first contact), who sign in with an email link. */
export async function createDemoCustomers(now: Date) {
  const prisma = await getPrisma();
  const orgs = await prisma.organization.findMany({
    where: { name: { in: ["Acme Logistics", "Globex Payments"] } },
    select: { id: true, name: true, contactEmails: true },
  });
  const users = orgs.map((o) => ({ email: o.contactEmails[0], name: `${o.name} customer`, role: "customer" as const, organizationId: o.id }));
  await createUsers(users, { actor: SEED, now });
  return users.map((u) => ({ ...u, organization: orgs.find((o) => o.id === u.organizationId)!.name }));
}
