/**
 * Writes packages/verifier/test-vectors.json: made-up keys (they belong to no
 * installation), their records as a snapshot would carry them, and for each
 * case the presented key, the moment, and the answer every verifier must
 * give. The expected answers are written out here by hand from
 * DOMAIN.md's rules, not computed by rekey's code, so the vectors can catch
 * rekey's own verifier too. Run: npx tsx packages/verifier/scripts/make-test-vectors.ts
 */
import { createHmac, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { checksum, randomCharsFor, toBase62, type KeyFormat } from "../src/format";

const SECRET = "rekey-test-vectors-hashing-secret-do-not-use-0001";
/** A second hashing secret version, current: a verifier holds both during a rotation (docs/verifier-protocol.md). */
const SECRET_V2 = "rekey-test-vectors-hashing-secret-do-not-use-0002";
const ORG = "9b2f4a0e-0000-4000-8000-000000000001";

/** Company formats (README, "Your own key format"): a case naming one is verified by a verifier given that format. */
const FORMATS: Record<string, KeyFormat> = {
  acme: { prefixes: { live: "acme_live_", test: "acme_test_" }, randomBytes: 24, checksum: "crc32" },
  plain: { prefixes: { live: "sk_live_", test: "sk_test_" }, randomBytes: 16, checksum: "none" },
};
const REKEY: KeyFormat = { prefixes: { live: "rk_live_", test: "rk_test_" }, randomBytes: 32, checksum: "crc32" };

function makeKey(env: "live" | "test" = "test", format: KeyFormat = REKEY) {
  const body = format.prefixes[env] + toBase62(BigInt(`0x${randomBytes(format.randomBytes).toString("hex")}`), randomCharsFor(format.randomBytes));
  return format.checksum === "crc32" ? body + checksum(body) : body;
}
const hash = (key: string, secret = SECRET) => createHmac("sha256", secret).update(key).digest("hex");

let n = 0;
const records: object[] = [];
type Identity = { externalId: string | null; metadata: object; organizationExternalId: string | null; organizationMetadata: object };
const NO_IDENTITY: Identity = { externalId: null, metadata: {}, organizationExternalId: null, organizationMetadata: {} };
const identities = new Map<string, Identity>();
function record(
  status: string,
  extra: {
    expiresAt?: string;
    rotation?: object;
    hashVersion?: number;
    hashedWith?: string;
    identity?: Identity | "absent";
    organizationId?: string;
    format?: KeyFormat;
  } = {},
) {
  const key = makeKey("test", extra.format);
  n++;
  const hashVersion = extra.hashVersion ?? 1;
  records.push({
    hash: hash(key, extra.hashedWith ?? (hashVersion === 2 ? SECRET_V2 : SECRET)),
    hashVersion,
    keyId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    organizationId: extra.organizationId ?? ORG,
    environment: "test",
    scopes: ["read:orders"],
    rateLimit: 600,
    status,
    expiresAt: extra.expiresAt ?? null,
    rotation: extra.rotation ?? null,
    // A record from a server before external ids carries none of the four fields: the answer says null and {}.
    ...(extra.identity === "absent" ? {} : (extra.identity ?? NO_IDENTITY)),
  });
  if (extra.organizationId) organizations.set(`00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, extra.organizationId);
  identities.set(`00000000-0000-4000-8000-${String(n).padStart(12, "0")}`, extra.identity === "absent" || !extra.identity ? NO_IDENTITY : extra.identity);
  return { key, keyId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}` };
}
const organizations = new Map<string, string>();
const ok = (keyId: string) => ({
  valid: true,
  keyId,
  organizationId: organizations.get(keyId) ?? ORG,
  environment: "test",
  scopes: ["read:orders"],
  rateLimit: 600,
  ...identities.get(keyId)!,
});
const rotation = (r: object) => ({
  state: "grace",
  kind: "manual",
  scheduledAt: "2026-03-01T00:00:00.000Z",
  startedAt: "2026-03-01T00:00:00.000Z",
  graceEndsAt: "2026-03-02T00:00:00.000Z",
  gracePeriodHours: 24,
  deadlineExtended: false,
  waitForSuccessorUse: false,
  successorPrefix: "rk_test_AbCdEfGh",
  successorFirstUsedAt: null,
  ...r,
});

const cases: { name: string; key: string; now: string; expect: object; format?: string }[] = [];
const c = (name: string, key: string, now: string, expect: object, format?: string) => cases.push({ name, key, now, expect, ...(format ? { format } : {}) });

const active = record("active");
c("an active key", active.key, "2026-03-01T12:00:00.000Z", { ...ok(active.keyId), deprecated: false });
c("not a key at all", "sk_live_abc", "2026-03-01T12:00:00.000Z", { valid: false, code: "malformed" });
c("the right shape with a wrong checksum", active.key.slice(0, -1) + (active.key.endsWith("0") ? "1" : "0"), "2026-03-01T12:00:00.000Z", {
  valid: false,
  code: "malformed",
});
c("a well-formed key nobody issued", makeKey(), "2026-03-01T12:00:00.000Z", { valid: false, code: "unknown" });
const revoked = record("revoked");
c("a revoked key", revoked.key, "2026-03-01T12:00:00.000Z", { valid: false, code: "revoked" });
const expired = record("expired");
c("an expired key", expired.key, "2026-03-01T12:00:00.000Z", { valid: false, code: "expired" });
const expiring = record("active", { expiresAt: "2026-03-01T12:00:00.000Z" });
c("a key one millisecond before its expiry", expiring.key, "2026-03-01T11:59:59.999Z", { ...ok(expiring.keyId), deprecated: false });
c("a key at its expiry", expiring.key, "2026-03-01T12:00:00.000Z", { valid: false, code: "expired" });

const grace = record("expiring", { rotation: rotation({}) });
const deprecated = { deprecated: true, deprecatedAt: "2026-03-01T00:00:00.000Z", graceEndsAt: "2026-03-02T00:00:00.000Z", successorPrefix: "rk_test_AbCdEfGh" };
c("an old key in grace", grace.key, "2026-03-01T23:59:59.999Z", { ...ok(grace.keyId), ...deprecated });
c("an old key at its deadline, whether or not the cron has run", grace.key, "2026-03-02T00:00:00.000Z", { valid: false, code: "revoked" });

const scheduled = record("active", { rotation: rotation({ state: "scheduled", startedAt: null, graceEndsAt: null, successorPrefix: null }) });
c("a key before its scheduled rotation", scheduled.key, "2026-02-28T23:59:59.999Z", { ...ok(scheduled.keyId), deprecated: false });
c("a scheduled rotation past its time that the cron has not started: in grace from its time", scheduled.key, "2026-03-01T06:00:00.000Z", {
  ...ok(scheduled.keyId),
  ...deprecated,
  successorPrefix: null,
});
c("a scheduled rotation never started, past its grace", scheduled.key, "2026-03-02T00:00:00.000Z", { valid: false, code: "revoked" });

const waits = record("expiring", { rotation: rotation({ waitForSuccessorUse: true, successorPrefix: null }) });
c("policy waits, successor never used: before the deadline it is the deadline", waits.key, "2026-03-01T23:00:00.000Z", {
  ...ok(waits.keyId),
  ...deprecated,
  successorPrefix: null,
});
c("policy waits, successor never used: at the deadline, extended once by the grace period", waits.key, "2026-03-02T00:00:00.000Z", {
  ...ok(waits.keyId),
  ...deprecated,
  graceEndsAt: "2026-03-03T00:00:00.000Z",
  successorPrefix: null,
});
c("policy waits, successor never used: at the extended deadline", waits.key, "2026-03-03T00:00:00.000Z", { valid: false, code: "revoked" });

const used = record("expiring", { rotation: rotation({ waitForSuccessorUse: true, successorFirstUsedAt: "2026-03-01T10:00:00.000Z" }) });
c("policy waits, successor used before the deadline: no extension", used.key, "2026-03-02T00:00:00.000Z", { valid: false, code: "revoked" });
const usedLate = record("expiring", { rotation: rotation({ waitForSuccessorUse: true, successorFirstUsedAt: "2026-03-02T00:00:00.000Z" }) });
c("policy waits, successor first used at the deadline (not before): extended", usedLate.key, "2026-03-02T01:00:00.000Z", {
  ...ok(usedLate.keyId),
  ...deprecated,
  graceEndsAt: "2026-03-03T00:00:00.000Z",
});
const emergency = record("expiring", {
  rotation: rotation({ kind: "emergency", waitForSuccessorUse: true, graceEndsAt: "2026-03-01T04:00:00.000Z", gracePeriodHours: 4 }),
});
c("an emergency rotation is never extended", emergency.key, "2026-03-01T04:00:00.000Z", { valid: false, code: "revoked" });
const once = record("expiring", { rotation: rotation({ waitForSuccessorUse: true, deadlineExtended: true, graceEndsAt: "2026-03-03T00:00:00.000Z" }) });
c("already extended: the stored deadline is final", once.key, "2026-03-03T00:00:00.000Z", { valid: false, code: "revoked" });
c("already extended: before the stored deadline", once.key, "2026-03-02T12:00:00.000Z", {
  ...ok(once.keyId),
  ...deprecated,
  graceEndsAt: "2026-03-03T00:00:00.000Z",
});
const zero = record("expiring", { rotation: rotation({ waitForSuccessorUse: true, gracePeriodHours: 0, graceEndsAt: "2026-03-01T00:00:00.000Z" }) });
c("a zero grace period extends by at least an hour", zero.key, "2026-03-01T00:30:00.000Z", {
  ...ok(zero.keyId),
  ...deprecated,
  graceEndsAt: "2026-03-01T01:00:00.000Z",
});
const inactiveScheduled = record("revoked", { rotation: rotation({ state: "scheduled", startedAt: null, graceEndsAt: null }) });
c("a revoked key with a rotation still scheduled", inactiveScheduled.key, "2026-03-01T06:00:00.000Z", { valid: false, code: "revoked" });

const onV2 = record("active", { hashVersion: 2 });
c("a key stored under hashing secret version 2 (the current one)", onV2.key, "2026-03-01T12:00:00.000Z", { ...ok(onV2.keyId), deprecated: false });
const mislabelled = record("active", { hashVersion: 2, hashedWith: SECRET });
c("a hash made by version 1's secret but recorded as version 2 matches under neither", mislabelled.key, "2026-03-01T12:00:00.000Z", {
  valid: false,
  code: "unknown",
});

// Every record of an organization carries the same organization fields (a change to them is announced for each of its keys).
const known = record("active", {
  organizationId: "9b2f4a0e-0000-4000-8000-000000000002",
  identity: {
    externalId: "key_legacy_42",
    metadata: { plan: "enterprise", seats: 250, tags: ["eu", "sso"] },
    organizationExternalId: "cus_8f2a",
    organizationMetadata: { tier: "gold" },
  },
});
c("a key with the company's external ids and metadata: the answer carries them", known.key, "2026-03-01T12:00:00.000Z", {
  ...ok(known.keyId),
  deprecated: false,
});
const older = record("active", { identity: "absent" });
c("a record from a server before external ids: null ids, empty metadata", older.key, "2026-03-01T12:00:00.000Z", { ...ok(older.keyId), deprecated: false });

// The company's own formats: a key of the format verifies; rekey's own, a changed checksum, a wrong length are malformed.
const NOON = "2026-03-01T12:00:00.000Z";
const acme = record("active", { format: FORMATS.acme });
c("acme format (24 bytes, CRC32): a key of it", acme.key, NOON, { ...ok(acme.keyId), deprecated: false }, "acme");
c("acme format: a wrong checksum", acme.key.slice(0, -1) + (acme.key.endsWith("0") ? "1" : "0"), NOON, { valid: false, code: "malformed" }, "acme");
c("acme format: a well-formed key nobody issued", makeKey("live", FORMATS.acme), NOON, { valid: false, code: "unknown" }, "acme");
c("acme format: a key of rekey's own format", active.key, NOON, { valid: false, code: "malformed" }, "acme");
c("rekey's own format: a key of the acme format", acme.key, NOON, { valid: false, code: "malformed" });
const plain = record("active", { format: FORMATS.plain });
c("plain format (16 bytes, no checksum): a key of it", plain.key, NOON, { ...ok(plain.keyId), deprecated: false }, "plain");
c("plain format: one character more", `${plain.key}a`, NOON, { valid: false, code: "malformed" }, "plain");
c("plain format: a character outside base62", `${plain.key.slice(0, -1)}_`, NOON, { valid: false, code: "malformed" }, "plain");
c(
  "plain format: any well-formed text is looked up (no checksum), and is unknown",
  makeKey("live", FORMATS.plain),
  NOON,
  { valid: false, code: "unknown" },
  "plain",
);

writeFileSync(
  new URL("../test-vectors.json", import.meta.url),
  `${JSON.stringify(
    {
      description: "rekey verification test vectors: docs/verifier-protocol.md. Made-up keys of no installation.",
      version: 1,
      hashing: {
        algorithm: "HMAC-SHA-256, hex",
        current: 2,
        secrets: [
          { version: 2, secret: SECRET_V2 },
          { version: 1, secret: SECRET },
        ],
      },
      formats: FORMATS,
      records,
      cases,
    },
    null,
    2,
  )}\n`,
);
console.log(`${cases.length} cases, ${records.length} records`);
