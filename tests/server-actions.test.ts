import { beforeEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import type { Viewer } from "../lib/auth/viewer";

// The session is next-auth's cookie; here the viewer is set directly, as getViewer would return it.
let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { rotateKeyAction, cancelRotationAction, rollbackRotationAction } = await import("../app/(staff)/dashboard/keys/[id]/actions");

useTestDatabase();

const as = (role: Viewer["role"]): Viewer => ({ userId: `${role}-1`, email: `${role}@example.com`, role, orgId: null });

describe("staff server actions", () => {
  beforeEach(() => {
    viewer = null;
  });

  it("refuse visitors, auditors and customers, and change nothing", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    for (const who of [null, as("auditor"), as("customer")]) {
      viewer = who;
      const result = await rotateKeyAction({ keyId: key.id, kind: "manual" });
      expect(result).toMatchObject({ ok: false, code: who ? "forbidden" : "unauthorized" });
      expect((await cancelRotationAction({ rotationId: "x" })).ok).toBe(false);
      expect((await rollbackRotationAction({ rotationId: "x" })).ok).toBe(false);
    }
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(0);
  });

  it("refuse bad input with a message naming the field, and change nothing", async () => {
    viewer = as("operator");
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    expect(await rotateKeyAction({ keyId: key.id, kind: "emergency", gracePeriodHours: 0 })).toMatchObject({ ok: false, code: "invalid_request", field: "reason" });
    expect(await rotateKeyAction({ keyId: key.id, kind: "scheduled" })).toMatchObject({ ok: false, field: "scheduledAt" });
    expect(await rotateKeyAction({ keyId: key.id, kind: "sometime" })).toMatchObject({ ok: false, field: "kind" });
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { keyId: key.id } })).toBe(0);
  });

  it("let operators and admins rotate, as themselves in the audit trail, with the customer minting the successor", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    viewer = as("operator");
    const started = await rotateKeyAction({ keyId: key.id, kind: "manual", gracePeriodHours: 24, deliver: "response" });
    expect(started).toMatchObject({ ok: true, message: expect.stringMatching(/^Rotation started/) });
    const prisma = await testPrisma();
    const rotation = await prisma.rotation.findFirstOrThrow({ where: { keyId: key.id } });
    expect(rotation).toMatchObject({ createdBy: "user:operator-1", deliver: "portal", successorId: null });
    expect(await rotateKeyAction({ keyId: key.id, kind: "manual" })).toMatchObject({ ok: false, code: "conflict" });
    viewer = as("admin");
    expect(await rollbackRotationAction({ rotationId: rotation.id, reason: "oops" })).toMatchObject({ ok: true });
    expect(await rotateKeyAction({ keyId: key.id, kind: "emergency", gracePeriodHours: 0, reason: "leaked" })).toMatchObject({ ok: true, message: expect.stringMatching(/revoked/) });
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("revoked");
  });
});
