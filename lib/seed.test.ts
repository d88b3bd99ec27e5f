import { describe, expect, it, vi } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../tests/support/database";
import { createDemoStaff, seedDemoWorld } from "./seed";
import { verifyAuditChain } from "./audit/verify";
import { ensureFirstAdmin } from "./auth/users";
import { verifyPassword } from "./auth/passwords";

useTestDatabase();

describe("demo world", () => {
  it("has keys of varied ages, some past 90 days, rotations in every state, and a valid audit chain", async () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const summary = await seedDemoWorld({ keys: 300, now });
    expect(summary.rotations).toEqual({ completed: 20, grace: 8, scheduled: 12, cancelled: 3, rolled_back: 2, failed: 1 });
    const prisma = await testPrisma();
    const overdue = await prisma.apiKey.count({ where: { status: "active", createdAt: { lt: new Date(now.getTime() - 90 * 86_400_000) } } });
    expect(overdue).toBeGreaterThan(20);
    // Every open rotation is the only one of its key, and every key in grace has its successor.
    const inGrace = await prisma.rotation.findMany({ where: { state: "grace" }, include: { key: true, successor: true } });
    for (const r of inGrace) {
      expect(r.key.status).toBe("expiring");
      expect(r.successor?.predecessorId).toBe(r.keyId);
      expect(r.openKeyId).toBe(r.keyId);
    }
    expect(await prisma.keyUsageHourly.count()).toBeGreaterThan(0);
    const chain = await verifyAuditChain(prisma);
    expect(chain.ok).toBe(true);
    expect(chain.checked).toBe(await prisma.auditEvent.count());
  });
});

describe("demo staff", () => {
  it("the admin, the operator and the auditor each get a password of their own (the read-only auditor cannot sign in as the operator)", async () => {
    vi.stubEnv("REKEY_DEMO_PASSWORD", undefined);
    vi.stubEnv("REKEY_ADMIN_PASSWORD", undefined);
    try {
      await resetTestData();
      const now = new Date("2026-06-01T12:00:00Z");
      const staff = await createDemoStaff(now);
      const admin = await ensureFirstAdmin(now);
      expect(admin?.generated).toBe(true);
      const accounts = [{ email: admin!.email, password: admin!.password }, ...staff];
      expect(staff.map((u) => u.role)).toEqual(["operator", "auditor"]);
      expect(new Set(accounts.map((a) => a.password)).size).toBe(3);

      // Each stored hash takes its own password and none of the others'.
      const prisma = await testPrisma();
      for (const account of accounts) {
        const { passwordHash } = await prisma.user.findUniqueOrThrow({ where: { email: account.email }, select: { passwordHash: true } });
        for (const other of accounts)
          expect([account.email, other.email, await verifyPassword(passwordHash!, other.password)]).toEqual([account.email, other.email, other === account]);
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
