import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { ADMIN } from "../../tests/support/fixtures";
import { createOrganization } from "../organizations/mutations";
import { issueKey } from "./mutations";
import { scheduleRotation, rotateNow } from "../rotations/mutations";
import { listKeys } from "./queries";

useTestDatabase();

const DAY = 86_400_000;
const NOW = new Date("2026-06-30T12:00:00Z");
let plainId = "";
let tightId = "";

async function keyAged(organizationId: string, age: number, environment: "live" | "test" = "live") {
  const { key } = await issueKey({ organizationId, environment, name: `aged ${age}` }, ADMIN, NOW);
  const prisma = await testPrisma();
  await prisma.apiKey.update({ where: { id: key.id }, data: { createdAt: new Date(NOW.getTime() - age * DAY) } });
  return key;
}

beforeAll(async () => {
  const prisma = await testPrisma();
  const strict = await prisma.rotationPolicy.create({ data: { name: "Strict 30", maxAgeDays: 30 } });
  plainId = (await createOrganization({ name: "Plain Co" }, ADMIN, NOW)).id;
  tightId = (await createOrganization({ name: "Tight Co", policyId: strict.id }, ADMIN, NOW)).id;
  await keyAged(plainId, 10);
  await keyAged(plainId, 100);
  await keyAged(tightId, 20, "test");
  const old = await keyAged(tightId, 40);
  const rotating = await keyAged(plainId, 50);
  await rotateNow({ keyId: rotating.id, gracePeriodHours: 24 }, ADMIN, NOW);
  await scheduleRotation({ keyId: old.id, scheduledAt: new Date(NOW.getTime() + 3 * DAY) }, ADMIN, NOW);
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
