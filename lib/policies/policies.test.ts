import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { ADMIN, T0, makeOrg } from "../../tests/support/fixtures";
import { assignPolicy, updatePolicy } from "./mutations";
import { getEffectivePolicy, listPolicies } from "./queries";
import { DEFAULT_POLICY } from "./defaults";

useTestDatabase();

const settings = {
  maxAgeDays: 60,
  gracePeriodHours: 48,
  emergencyGraceHours: 2,
  noticeDays: 5,
  maxPostponements: 1,
  postponeDays: 14,
  waitForSuccessorUse: true,
  customersManageKeys: true,
  emergencyOnReuse: true,
};

describe("rotation policies (DOMAIN.md: Rotation policy)", () => {
  it("an organization without a policy follows the default policy, else DOMAIN.md's defaults", async () => {
    const org = await makeOrg();
    const prisma = await testPrisma();
    expect(await getEffectivePolicy(prisma, org.id)).toMatchObject({ ...DEFAULT_POLICY, id: null });
    const def = await prisma.rotationPolicy.create({ data: { name: "House default", isDefault: true, maxAgeDays: 120 } });
    expect(await getEffectivePolicy(prisma, org.id)).toMatchObject({ id: def.id, maxAgeDays: 120 });
    expect((await listPolicies()).find((p) => p.id === def.id)!.organizations.map((o) => o.id)).toContain(org.id);
  });

  it("saves valid settings with an audit event holding before and after", async () => {
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: "Edited" } });
    const saved = await updatePolicy({ policyId: policy.id, ...settings }, { actor: ADMIN, now: T0 });
    expect(saved).toMatchObject(settings);
    const event = await prisma.auditEvent.findFirstOrThrow({ where: { action: "policy.updated" }, orderBy: { seq: "desc" } });
    expect(event.before).toMatchObject({ maxAgeDays: 90, gracePeriodHours: 72 });
    expect(event.after).toMatchObject({ maxAgeDays: 60, gracePeriodHours: 48, waitForSuccessorUse: true });
  });

  it("refuses settings that contradict each other or make no sense, naming the field, and changes nothing", async () => {
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: "Guarded" } });
    await expect(updatePolicy({ policyId: policy.id, ...settings, emergencyGraceHours: 100 }, { actor: ADMIN, now: T0 })).rejects.toThrow(
      /^emergencyGraceHours: must not be longer than the normal grace period/,
    );
    await expect(updatePolicy({ policyId: policy.id, ...settings, noticeDays: 60 }, { actor: ADMIN, now: T0 })).rejects.toThrow(/^noticeDays:/);
    await expect(updatePolicy({ policyId: policy.id, ...settings, maxAgeDays: 0 }, { actor: ADMIN, now: T0 })).rejects.toThrow(
      /^maxAgeDays: must be at least 1 day$/,
    );
    await expect(updatePolicy({ policyId: policy.id, ...settings, gracePeriodHours: "soon" as never }, { actor: ADMIN, now: T0 })).rejects.toThrow(
      /^gracePeriodHours:/,
    );
    expect(await prisma.rotationPolicy.findUniqueOrThrow({ where: { id: policy.id } })).toMatchObject({
      maxAgeDays: 90,
      gracePeriodHours: 72,
      emergencyGraceHours: 4,
    });
  });

  it("moves an organization onto a policy and back to the default, audited", async () => {
    const org = await makeOrg();
    const prisma = await testPrisma();
    const strict = await prisma.rotationPolicy.create({ data: { name: "Strict for assign", maxAgeDays: 30 } });
    await assignPolicy({ organizationId: org.id, policyId: strict.id }, { actor: ADMIN, now: T0 });
    expect((await getEffectivePolicy(prisma, org.id)).maxAgeDays).toBe(30);
    await assignPolicy({ organizationId: org.id, policyId: null }, { actor: ADMIN, now: T0 });
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).policyId).toBeNull();
    expect(await prisma.auditEvent.count({ where: { action: "organization.policy_changed", organizationId: org.id } })).toBe(2);
    await expect(assignPolicy({ organizationId: org.id, policyId: "nope" }, { actor: ADMIN, now: T0 })).rejects.toThrow(/No such policy/);
  });
});
