import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { ADMIN, T0, makeKey, makeOrg } from "../../tests/support/fixtures";
import { acknowledgeAlert, acknowledgeAlerts, resolveAlert, resolveAlerts, undoAcknowledgeAlerts } from "./mutations";
import { listAlerts } from "./queries";
import { ConflictError } from "../errors";

useTestDatabase();

describe("alerts (DOMAIN.md: Alert)", () => {
  it("are acknowledged, then resolved, each audited; a resolved alert frees its condition to be raised again", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const prisma = await testPrisma();
    const alert = await prisma.alert.create({
      data: {
        kind: "revoked_key_used",
        severity: "critical",
        organizationId: org.id,
        keyId: key.id,
        message: "A revoked key was tried 12 times",
        dedupeKey: `revoked_key_used:${key.id}`,
      },
    });
    expect((await listAlerts("open")).alerts.map((a) => [a.id, a.key?.prefix])).toEqual([[alert.id, key.prefix]]);
    expect(await acknowledgeAlert({ alertId: alert.id }, { actor: ADMIN, now: T0 })).toMatchObject({ status: "acknowledged", acknowledgedBy: ADMIN });
    await expect(acknowledgeAlert({ alertId: alert.id }, { actor: ADMIN, now: T0 })).rejects.toThrow(ConflictError);
    expect(await resolveAlert({ alertId: alert.id, note: "client updated" }, { actor: ADMIN, now: T0 })).toMatchObject({ status: "resolved", dedupeKey: null });
    await expect(resolveAlert({ alertId: alert.id }, { actor: ADMIN, now: T0 })).rejects.toThrow(/already resolved/);
    const events = await prisma.auditEvent.findMany({ where: { action: { startsWith: "alert." } }, orderBy: { seq: "asc" } });
    expect(events.map((e) => [e.action, e.reason])).toEqual([
      ["alert.acknowledged", null],
      ["alert.resolved", "client updated"],
    ]);
    // The same condition may now be raised again.
    await prisma.alert.create({
      data: { kind: "revoked_key_used", severity: "critical", keyId: key.id, message: "again", dedupeKey: `revoked_key_used:${key.id}` },
    });
    await expect(resolveAlert({ alertId: "missing" }, { actor: ADMIN, now: T0 })).rejects.toThrow(/No such alert/);
  });
});

describe("alerts in bulk (the inbox)", () => {
  async function raise(count: number, organizationId: string, kind = "key_past_max_age", severity = "warning") {
    const prisma = await testPrisma();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(
        (await prisma.alert.create({ data: { kind, severity, organizationId, message: `${kind} ${i}`, dedupeKey: `${kind}:${organizationId}:${i}` } })).id,
      );
    }
    return ids;
  }

  it("acknowledges 20 selected alerts in one change, each audited, and undoes it", async () => {
    const org = await makeOrg();
    const ids = await raise(20, org.id);
    const prisma = await testPrisma();
    const before = await prisma.auditEvent.count();
    const { alertIds, at } = await acknowledgeAlerts({ alertIds: ids }, { actor: ADMIN, now: T0 });
    expect(alertIds.sort()).toEqual([...ids].sort());
    expect(await prisma.alert.count({ where: { id: { in: ids }, status: "acknowledged", acknowledgedBy: ADMIN } })).toBe(20);
    expect(await prisma.auditEvent.count({ where: { action: "alert.acknowledged", actor: ADMIN, organizationId: org.id } })).toBe(20);
    // A second acknowledgement of the same alerts moves nothing.
    expect((await acknowledgeAlerts({ alertIds: ids }, { actor: ADMIN, now: T0 })).alertIds).toEqual([]);

    // Someone resolves one meanwhile: the undo leaves it resolved and reopens the other 19.
    await resolveAlert({ alertId: ids[0] }, { actor: ADMIN, now: new Date(T0.getTime() + 1000) });
    // Another person's undo reopens nothing.
    expect(await undoAcknowledgeAlerts({ alertIds, at }, { actor: "user:someone-else", now: new Date(T0.getTime() + 2000) })).toEqual({ reopened: 0 });
    expect(await undoAcknowledgeAlerts({ alertIds, at }, { actor: ADMIN, now: new Date(T0.getTime() + 2000) })).toEqual({ reopened: 19 });
    expect(await prisma.alert.count({ where: { id: { in: ids }, status: "open", acknowledgedAt: null } })).toBe(19);
    expect(await prisma.auditEvent.count({ where: { action: "alert.reopened", organizationId: org.id } })).toBe(19);
    expect(await prisma.auditEvent.count()).toBe(before + 20 + 1 + 19);
  });

  it("resolves every alert matching a filter, and only those", async () => {
    const a = await makeOrg();
    const b = await makeOrg();
    const mine = await raise(3, a.id, "revoked_key_used", "critical");
    const other = await raise(2, b.id, "revoked_key_used", "critical");
    const warning = await raise(1, a.id, "key_past_max_age", "warning");
    const { alertIds } = await resolveAlerts(
      { filter: { state: "open", kind: "revoked_key_used", severity: "critical", organizationId: a.id } },
      { actor: ADMIN, now: T0 },
    );
    expect(alertIds.sort()).toEqual([...mine].sort());
    const prisma = await testPrisma();
    expect(await prisma.alert.count({ where: { id: { in: [...other, ...warning] }, status: "open" } })).toBe(3);
    expect(await prisma.alert.count({ where: { id: { in: mine }, status: "resolved", dedupeKey: null } })).toBe(3);
  });

  it("refuses an empty selection", async () => {
    await expect(acknowledgeAlerts({ alertIds: [] }, { actor: ADMIN, now: T0 })).rejects.toThrow(/select at least one alert/);
  });
});
