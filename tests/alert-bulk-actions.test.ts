import { beforeEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { makeOrg } from "./support/fixtures";
import type { Viewer } from "../lib/auth/viewer";

let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { acknowledgeAlertsAction, resolveAlertsAction, undoAcknowledgeAlertsAction } = await import("../app/(staff)/dashboard/alerts/actions");

useTestDatabase();

const as = (role: Viewer["role"]): Viewer => ({
  userId: `${role}-1`,
  email: `${role}@example.com`,
  role,
  orgId: null,
  signedInAt: new Date(),
  sessionId: "00000000-0000-4000-8000-000000000000",
});

describe("the alerts inbox's bulk actions", () => {
  beforeEach(() => {
    viewer = null;
  });

  it("refuse auditors, customers and visitors (a replayed POST included), and change nothing", async () => {
    const org = await makeOrg();
    const prisma = await testPrisma();
    const alert = await prisma.alert.create({ data: { kind: "key_past_max_age", severity: "warning", organizationId: org.id, message: "old" } });
    for (const who of [null, as("auditor"), as("customer")]) {
      viewer = who;
      expect((await acknowledgeAlertsAction({ alertIds: [alert.id] })).ok).toBe(false);
      expect((await resolveAlertsAction({ filter: { state: "open" } })).ok).toBe(false);
      expect((await undoAcknowledgeAlertsAction({ alertIds: [alert.id], at: new Date().toISOString() })).ok).toBe(false);
    }
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).status).toBe("open");
  });

  it("let an operator acknowledge and undo, answering what changed", async () => {
    viewer = as("operator");
    const org = await makeOrg();
    const prisma = await testPrisma();
    const alert = await prisma.alert.create({ data: { kind: "key_past_max_age", severity: "warning", organizationId: org.id, message: "old" } });
    const done = await acknowledgeAlertsAction({ alertIds: [alert.id] });
    expect(done).toMatchObject({ ok: true, message: "Acknowledged 1 alert." });
    const undo = (done as { data: { alertIds: string[]; at: string } }).data;
    expect(await undoAcknowledgeAlertsAction(undo)).toMatchObject({ ok: true, message: "Undone: 1 alert open again." });
    expect(await acknowledgeAlertsAction({ alertIds: [] })).toMatchObject({ ok: false, code: "invalid_request" });
  });
});
