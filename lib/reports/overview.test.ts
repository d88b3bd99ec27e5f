import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { ADMIN } from "../../tests/support/fixtures";
import { createOrganization } from "../organizations/mutations";
import { issueKey } from "../keys/mutations";
import { getOverview } from "./overview";

useTestDatabase();
beforeEach(resetTestData);

const DAY = 86_400_000;
const NOW = new Date("2026-06-30T12:00:00Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);

/** Issues a key and backdates it, as if it had been issued `age` days ago. */
async function keyAged(organizationId: string, age: number, revokedDaysAgo?: number) {
  const { key } = await issueKey({ organizationId, environment: "live", name: `aged ${age}` }, { actor: ADMIN, now: NOW });
  const prisma = await testPrisma();
  await prisma.apiKey.update({
    where: { id: key.id },
    data: { createdAt: daysAgo(age), ...(revokedDaysAgo !== undefined ? { status: "revoked", revokedAt: daysAgo(revokedDaysAgo) } : {}) },
  });
  return key;
}

describe("overview (DOMAIN.md: Compliance)", () => {
  it("counts a key compliant while its age is within its organization's policy, now and over the last 90 days", async () => {
    const prisma = await testPrisma();
    const strict = await prisma.rotationPolicy.create({ data: { name: "Strict", maxAgeDays: 30 } });
    const plain = await createOrganization({ name: "Plain" }, { actor: ADMIN, now: NOW }); // default: 90 days
    const tight = await createOrganization({ name: "Tight", policyId: strict.id }, { actor: ADMIN, now: NOW });
    await keyAged(plain.id, 10); // compliant
    await keyAged(plain.id, 100); // overdue (> 90)
    await keyAged(tight.id, 20); // compliant
    await keyAged(tight.id, 40); // overdue (> 30)
    await keyAged(plain.id, 200, 50); // revoked 50 days ago: not in use now

    const overview = await getOverview(NOW);
    expect(overview.compliance).toEqual({ inUse: 4, compliant: 2, rate: 0.5 });
    expect(overview.history).toHaveLength(90);
    expect(overview.history.at(-1)).toMatchObject({ inUse: 4, compliant: 2, rate: 0.5 });

    const on = (n: number) => overview.history.find((h) => h.day === daysAgo(n).toISOString().slice(0, 10))!;
    // 60 days ago: the 100-day key was 40 (ok) and the 200-day key 140 and not yet revoked (overdue).
    expect(on(60)).toMatchObject({ inUse: 2, compliant: 1, rate: 0.5 });
    // 45 days ago: the 200-day key had been revoked; the 40-day key was not yet issued.
    expect(on(45)).toMatchObject({ inUse: 1, compliant: 1, rate: 1 });
    // 35 days ago: add the 40-day key at 5 days (compliant in Tight); the 200-day key is now revoked.
    expect(on(35)).toMatchObject({ inUse: 2, compliant: 2 });

    expect(overview.ages.find((a) => a.label === "0–15 d")).toEqual({ label: "0–15 d", withinPolicy: 1, overdue: 0 });
    expect(overview.ages.find((a) => a.label === "30–45 d")).toEqual({ label: "30–45 d", withinPolicy: 0, overdue: 1 });
    expect(overview.ages.find((a) => a.label === "90–105 d")).toEqual({ label: "90–105 d", withinPolicy: 0, overdue: 1 });
  });

  it("has no rate, rather than a made-up one, when no key is in use", async () => {
    const overview = await getOverview(NOW);
    expect(overview.compliance).toEqual({ inUse: 0, compliant: 0, rate: null });
    expect(overview.openAlertCount).toBe(0);
  });
});
