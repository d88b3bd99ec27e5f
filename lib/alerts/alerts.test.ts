import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { ADMIN, T0, makeKey, makeOrg } from "../../tests/support/fixtures";
import { acknowledgeAlert, resolveAlert } from "./mutations";
import { listAlerts } from "./queries";
import { ConflictError } from "../errors";

useTestDatabase();

describe("alerts (DOMAIN.md: Alert)", () => {
  it("are acknowledged, then resolved, each audited; a resolved alert frees its condition to be raised again", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const prisma = await testPrisma();
    const alert = await prisma.alert.create({
      data: { kind: "revoked_key_used", severity: "critical", organizationId: org.id, keyId: key.id, message: "A revoked key was tried 12 times", dedupeKey: `revoked_key_used:${key.id}` },
    });
    expect((await listAlerts("open")).alerts.map((a) => [a.id, a.key?.prefix])).toEqual([[alert.id, key.prefix]]);
    expect(await acknowledgeAlert({ alertId: alert.id }, ADMIN, T0)).toMatchObject({ status: "acknowledged", acknowledgedBy: ADMIN });
    await expect(acknowledgeAlert({ alertId: alert.id }, ADMIN, T0)).rejects.toThrow(ConflictError);
    expect(await resolveAlert({ alertId: alert.id, note: "client updated" }, ADMIN, T0)).toMatchObject({ status: "resolved", dedupeKey: null });
    await expect(resolveAlert({ alertId: alert.id }, ADMIN, T0)).rejects.toThrow(/already resolved/);
    const events = await prisma.auditEvent.findMany({ where: { action: { startsWith: "alert." } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.reason])).toEqual([
      ["alert.acknowledged", null],
      ["alert.resolved", "client updated"],
    ]);
    // The same condition may now be raised again.
    await prisma.alert.create({ data: { kind: "revoked_key_used", severity: "critical", keyId: key.id, message: "again", dedupeKey: `revoked_key_used:${key.id}` } });
    await expect(resolveAlert({ alertId: "missing" }, ADMIN, T0)).rejects.toThrow(/No such alert/);
  });
});
