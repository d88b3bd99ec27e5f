import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { T0, makeOrg } from "../../tests/support/fixtures";
import { enqueueNotifications } from "./outbox";

useTestDatabase();

describe("outbox (DOMAIN.md: Notification)", () => {
  it("writes one notification per event and recipient, however often it is enqueued", async () => {
    const org = await makeOrg();
    const prisma = await testPrisma();
    const item = {
      kind: "rotation_started" as const,
      organizationId: org.id,
      recipients: ["A@example.com", "a@example.com", "b@example.com"],
      eventRef: "rotation-1",
      payload: { keyPrefix: "rk_live_abcdefgh" },
    };
    expect(await prisma.$transaction((tx) => enqueueNotifications(tx, [item], T0))).toBe(2);
    expect(await prisma.$transaction((tx) => enqueueNotifications(tx, [item, item], T0))).toBe(0);
    const rows = await prisma.notification.findMany({ where: { organizationId: org.id }, orderBy: { recipient: "asc" } });
    expect(rows.map((r) => [r.recipient, r.status, r.attempts])).toEqual([
      ["a@example.com", "pending", 0],
      ["b@example.com", "pending", 0],
    ]);
    expect(rows[0].payload).toEqual({ keyPrefix: "rk_live_abcdefgh" });
  });
});
