import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { ADMIN } from "../../tests/support/fixtures";
import { createOrganization } from "../organizations/mutations";
import { issueKey } from "./mutations";
import { scheduleRotation, rotateNow } from "../rotations/mutations";
import { findKeyIdByFullKey, listKeys } from "./queries";

useTestDatabase();

const DAY = 86_400_000;
const NOW = new Date("2026-06-30T12:00:00Z");
let plainId = "";
let tightId = "";
let plain10 = { id: "", secret: "", prefix: "" };

async function keyAged(organizationId: string, age: number, environment: "live" | "test" = "live") {
  const { key, secret } = await issueKey({ organizationId, environment, name: `aged ${age}` }, { actor: ADMIN, now: NOW });
  const prisma = await testPrisma();
  await prisma.apiKey.update({ where: { id: key.id }, data: { createdAt: new Date(NOW.getTime() - age * DAY) } });
  return { ...key, secret };
}

beforeAll(async () => {
  const prisma = await testPrisma();
  const strict = await prisma.rotationPolicy.create({ data: { name: "Strict 30", maxAgeDays: 30 } });
  plainId = (await createOrganization({ name: "Plain Co" }, { actor: ADMIN, now: NOW })).id;
  tightId = (await createOrganization({ name: "Tight Co", policyId: strict.id }, { actor: ADMIN, now: NOW })).id;
  const k10 = await keyAged(plainId, 10);
  plain10 = { id: k10.id, secret: k10.secret, prefix: k10.prefix };
  await keyAged(plainId, 100);
  await keyAged(tightId, 20, "test");
  const old = await keyAged(tightId, 40);
  const rotating = await keyAged(plainId, 50);
  await rotateNow({ keyId: rotating.id, gracePeriodHours: 24 }, { actor: ADMIN, now: NOW });
  await scheduleRotation({ keyId: old.id, scheduledAt: new Date(NOW.getTime() + 3 * DAY) }, { actor: ADMIN, now: NOW });
});

describe("keys table query", () => {
  it("finds overdue keys by each organization's own policy", async () => {
    const { keys, total } = await listKeys({ overdue: true, sort: "age" }, NOW);
    expect(total).toBe(2);
    expect(keys.map((k) => [k.organization, k.maxAgeDays])).toEqual([
      ["Plain Co", 90],
      ["Tight Co", 30],
    ]);
  });

  it("filters by status, environment and organization together", async () => {
    expect((await listKeys({ status: "expiring" }, NOW)).keys.map((k) => k.rotationState)).toEqual(["grace"]);
    expect((await listKeys({ environment: "test" }, NOW)).total).toBe(1);
    expect((await listKeys({ organizationId: tightId, environment: "live" }, NOW)).total).toBe(1);
  });

  it("sorts by deadline (soonest first) and flips with dir", async () => {
    const { keys } = await listKeys({ sort: "deadline" }, NOW);
    expect(keys.slice(0, 2).map((k) => k.rotationState)).toEqual(["grace", "scheduled"]);
    const flipped = await listKeys({ sort: "age", dir: "desc" }, NOW);
    expect(flipped.dir).toBe("desc");
    expect(flipped.keys[0].name).toBe("aged 10");
    expect((await listKeys({ sort: "age" }, NOW)).keys[0].name).toBe("aged 100");
  });

  it("pages by 50", async () => {
    const { pageSize, page, keys } = await listKeys({ page: 2 }, NOW);
    expect(pageSize).toBe(50);
    expect(page).toBe(2);
    expect(keys).toEqual([]);
  });
});

describe("needs attention, the default order", () => {
  it("puts keys past max age first, then the soonest deadline, then the nearest to max age, then keys not in use", async () => {
    const prisma = await testPrisma();
    const revoked = await keyAged(plainId, 5);
    await prisma.apiKey.update({ where: { id: revoked.id }, data: { status: "revoked", revokedAt: NOW } });
    const { keys, sort } = await listKeys({}, NOW);
    expect(sort).toBe("attention");
    // 100 days against 90, and 40 against Tight Co's 30: both 10 days overdue.
    expect(new Set(keys.slice(0, 2).map((k) => k.name))).toEqual(new Set(["aged 100", "aged 40"]));
    // The key in grace (deadline tomorrow), not past its max age.
    expect([keys[2].name, keys[2].rotationState]).toEqual(["aged 50", "grace"]);
    // 20 of Tight Co's 30 days (10 left), then 10 of 90 (80 left).
    expect(keys.slice(3, 5).map((k) => [k.name, k.status])).toEqual([
      ["aged 20", "active"],
      ["aged 10", "active"],
    ]);
    expect(keys.slice(5).map((k) => [k.name, k.status])).toEqual([["aged 5", "revoked"]]);
    // Filters apply to every tier.
    expect((await listKeys({ organizationId: tightId }, NOW)).keys.map((k) => k.name)).toEqual(["aged 40", "aged 20"]);
    expect((await listKeys({ overdue: true }, NOW)).total).toBe(2);
    await prisma.apiKey.delete({ where: { id: revoked.id } });
  });
});

describe("key search", () => {
  it("finds a key by prefix, by part of its name and by its organization's name, any case", async () => {
    const byPrefix = await listKeys({ q: plain10.prefix.slice(0, 12) }, NOW);
    expect(byPrefix.keys.map((k) => k.id)).toContain(plain10.id);
    expect(byPrefix.keys.every((k) => k.prefix.startsWith(plain10.prefix.slice(0, 12)))).toBe(true);
    // A longer text that starts like a key is read as its prefix only.
    expect((await listKeys({ q: plain10.secret }, NOW)).keys.map((k) => k.id)).toEqual([plain10.id]);
    expect((await listKeys({ q: "AGED 1" }, NOW)).keys.map((k) => k.name).sort()).toEqual(["aged 10", "aged 100"]);
    expect((await listKeys({ q: "tight" }, NOW)).keys.map((k) => k.organization)).toEqual(["Tight Co", "Tight Co"]);
    expect((await listKeys({ q: "tight", environment: "test" }, NOW)).total).toBe(1);
  });

  it("matches LIKE's wildcards only as themselves", async () => {
    expect((await listKeys({ q: "%" }, NOW)).total).toBe(0);
    expect((await listKeys({ q: "aged_1" }, NOW)).total).toBe(0);
  });

  it("finds a pasted full key by its keyed hash, and nothing for a near miss", async () => {
    expect(await findKeyIdByFullKey(plain10.secret)).toBe(plain10.id);
    const last = plain10.secret.at(-1)!;
    expect(await findKeyIdByFullKey(plain10.secret.slice(0, -1) + (last === "a" ? "b" : "a"))).toBeNull();
  });
});

describe("migration series", () => {
  it("gives every hour of the window for the old and new key, zero where unused", async () => {
    const org = await createOrganization({ name: "Series Co" }, { actor: ADMIN, now: NOW });
    const { key } = await issueKey({ organizationId: org.id, environment: "live", name: "old" }, { actor: ADMIN, now: NOW });
    const { rotation } = await rotateNow({ keyId: key.id, deliver: "response" }, { actor: ADMIN, now: NOW });
    const prisma = await testPrisma();
    const hour = (h: number) => new Date(Math.floor(NOW.getTime() / 3_600_000) * 3_600_000 - h * 3_600_000);
    await prisma.keyUsageHourly.createMany({
      data: [
        { keyId: key.id, hour: hour(2), verifications: 90 },
        { keyId: key.id, hour: hour(0), verifications: 10 },
        { keyId: rotation.successorId!, hour: hour(0), verifications: 80 },
        { keyId: key.id, hour: hour(60), verifications: 999 }, // outside the window
      ],
    });
    const series = await listSeries(key.id, rotation.successorId!);
    expect(series).toHaveLength(48);
    expect(series.at(-1)).toMatchObject({ oldKey: 10, newKey: 80 });
    expect(series.at(-3)).toMatchObject({ oldKey: 90, newKey: 0 });
    expect(series.reduce((n, s) => n + s.oldKey, 0)).toBe(100);
  });
});

async function listSeries(oldKeyId: string, successorId: string) {
  const { getMigrationSeries } = await import("./queries");
  return getMigrationSeries(oldKeyId, successorId, NOW);
}
