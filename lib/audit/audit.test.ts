import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData, tamperAuditEvents as tamper } from "../../tests/support/database";
import { ADMIN, T0, at, makeKey, makeOrg } from "../../tests/support/fixtures";
import { rotateNow, rollbackRotation } from "../rotations/mutations";
import { verifyAuditChain } from "./verify";
import { appendAuditEvent } from "./write";
import { generateApiKey } from "../keys/format";

useTestDatabase();
beforeEach(resetTestData);

async function worldWithHistory() {
  const org = await makeOrg();
  const { key } = await makeKey(org.id);
  const { rotation } = await rotateNow({ keyId: key.id, deliver: "response", reason: "routine" }, { actor: ADMIN, now: at(1000) });
  await rollbackRotation({ rotationId: rotation.id, reason: "client stuck" }, { actor: ADMIN, now: at(2000) });
  return { org, key, rotation };
}

describe("audit trail (DOMAIN.md: Audit event)", () => {
  it("records every change with actor, action, fingerprint, reason and before/after, in a valid chain", async () => {
    const { key, rotation } = await worldWithHistory();
    const prisma = await testPrisma();
    const events = await prisma.auditEvent.findMany({ orderBy: { seq: "asc" } });
    expect(events.map((e) => e.action)).toEqual([
      "organization.created",
      "key.created",
      "rotation.started",
      "key.created",
      "rotation.rolled_back",
      "key.reactivated",
      "key.revoked",
    ]);
    const rolledBack = events.find((e) => e.action === "rotation.rolled_back")!;
    expect(rolledBack).toMatchObject({
      actor: ADMIN,
      keyId: key.id,
      keyFingerprint: key.prefix,
      rotationId: rotation.id,
      reason: "client stuck",
      before: { state: "grace" },
      after: { state: "rolled_back" },
    });
    expect(await verifyAuditChain(prisma)).toMatchObject({ ok: true, checked: 7, headHash: events.at(-1)!.hash });
  });

  it("is append-only in the database", async () => {
    await worldWithHistory();
    const prisma = await testPrisma();
    await expect(prisma.$executeRawUnsafe(`UPDATE audit_events SET reason = 'x'`)).rejects.toThrow(/append-only/);
    await expect(prisma.$executeRawUnsafe(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
  });

  it("detects an edited event", async () => {
    await worldWithHistory();
    const prisma = await testPrisma();
    const target = await prisma.auditEvent.findFirstOrThrow({ where: { action: "rotation.rolled_back" } });
    await tamper(`UPDATE audit_events SET reason = 'nothing to see' WHERE seq = ${target.seq}`);
    expect(await verifyAuditChain(prisma)).toMatchObject({ ok: false, broken: { seq: String(target.seq), reason: expect.stringMatching(/edited/) } });
  });

  it("detects an edit of the before/after state", async () => {
    await worldWithHistory();
    const prisma = await testPrisma();
    const target = await prisma.auditEvent.findFirstOrThrow({ where: { action: "rotation.started" } });
    await tamper(`UPDATE audit_events SET "after" = jsonb_set("after", '{gracePeriodHours}', '1') WHERE seq = ${target.seq}`);
    expect((await verifyAuditChain(prisma)).ok).toBe(false);
  });

  it("detects a deleted event", async () => {
    await worldWithHistory();
    const prisma = await testPrisma();
    const target = await prisma.auditEvent.findFirstOrThrow({ where: { action: "rotation.started" } });
    await tamper(`DELETE FROM audit_events WHERE seq = ${target.seq}`);
    const result = await verifyAuditChain(prisma);
    expect(result.ok).toBe(false);
    expect(BigInt(result.broken!.seq)).toBeGreaterThan(target.seq);
    expect(result.broken!.reason).toMatch(/deleted or changed/);
  });

  it("refuses to write a full key into an event", async () => {
    const prisma = await testPrisma();
    const { secret } = generateApiKey("live");
    await expect(prisma.$transaction((tx) => appendAuditEvent(tx, { actor: ADMIN, action: "oops", reason: `pasted ${secret}` }, T0))).rejects.toThrow(
      /full key/,
    );
    expect(await prisma.auditEvent.count()).toBe(0);
  });
});
