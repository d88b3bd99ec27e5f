import { beforeEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase, testPrisma } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import type { Viewer } from "../lib/auth/viewer";

// The session is next-auth's cookie; here the viewer is set directly, as getViewer would return it.
let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));

const { rotateKeyAction, cancelRotationAction, rollbackRotationAction } = await import("../app/(staff)/dashboard/keys/[id]/actions");
const { updatePolicyAction } = await import("../app/(staff)/dashboard/policies/actions");
const { acknowledgeAlertAction, resolveAlertAction } = await import("../app/(staff)/dashboard/alerts/actions");
const { inviteUserAction, changeUserRoleAction, setUserDisabledAction } = await import("../app/(staff)/dashboard/users/actions");
const { createManagementTokenAction, revokeManagementTokenAction } = await import("../app/(staff)/dashboard/tokens/actions");
const { bulkScheduleRotationsAction } = await import("../app/(staff)/dashboard/keys/actions");
const { assignPolicyAction } = await import("../app/(staff)/dashboard/organizations/[id]/actions");
const { deliverOutboxAction, retryNotificationAction } = await import("../app/(staff)/dashboard/outbox/actions");
const { setStaffMfaRequiredAction } = await import("../app/(staff)/dashboard/users/actions");
const { resetUserMfaAction, startMfaEnrolmentAction } = await import("../app/_account/actions");
const { reportLeakedKeyAction } = await import("../app/(staff)/dashboard/keys/actions");
const staffWebhooks = await import("../app/(staff)/dashboard/webhooks/actions");
const portalWebhooks = await import("../app/(portal)/portal/webhooks/actions");
const portalActions = await import("../app/(portal)/portal/actions");

useTestDatabase();

const as = (role: Viewer["role"]): Viewer => ({
  userId: `${role}-1`,
  email: `${role}@example.com`,
  role,
  orgId: null,
  signedInAt: new Date(),
  sessionId: "00000000-0000-4000-8000-000000000000",
});

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
    expect(await rotateKeyAction({ keyId: key.id, kind: "emergency", gracePeriodHours: 0 })).toMatchObject({
      ok: false,
      code: "invalid_request",
      field: "reason",
    });
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
    expect(await rotateKeyAction({ keyId: key.id, kind: "emergency", gracePeriodHours: 0, reason: "leaked" })).toMatchObject({
      ok: true,
      message: expect.stringMatching(/revoked/),
    });
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("revoked");
  });
});

describe("policy and alert actions", () => {
  it("only admins edit policies; operators and admins act on alerts; auditors and customers nothing", async () => {
    const prisma = await testPrisma();
    const policy = await prisma.rotationPolicy.create({ data: { name: "Action test policy" } });
    const alert = await prisma.alert.create({ data: { kind: "rotation_failed", severity: "warning", message: "failed" } });
    const settings = {
      policyId: policy.id,
      maxAgeDays: 45,
      gracePeriodHours: 24,
      emergencyGraceHours: 1,
      noticeDays: 3,
      maxPostponements: 0,
      postponeDays: 7,
      waitForSuccessorUse: false,
      customersManageKeys: false,
    };
    for (const role of ["operator", "auditor", "customer"] as const) {
      viewer = as(role);
      expect(await updatePolicyAction(settings)).toMatchObject({ ok: false, code: "forbidden" });
    }
    for (const role of ["auditor", "customer"] as const) {
      viewer = as(role);
      expect(await acknowledgeAlertAction({ alertId: alert.id })).toMatchObject({ ok: false, code: "forbidden" });
      expect(await resolveAlertAction({ alertId: alert.id })).toMatchObject({ ok: false, code: "forbidden" });
    }
    expect((await prisma.rotationPolicy.findUniqueOrThrow({ where: { id: policy.id } })).maxAgeDays).toBe(90);
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: alert.id } })).status).toBe("open");

    const org = await makeOrg();
    for (const role of ["operator", "auditor", "customer"] as const) {
      viewer = as(role);
      expect(await assignPolicyAction({ organizationId: org.id, policyId: policy.id })).toMatchObject({ ok: false, code: "forbidden" });
    }
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).policyId).toBeNull();
    viewer = as("admin");
    expect(await assignPolicyAction({ organizationId: org.id, policyId: policy.id })).toMatchObject({ ok: true, message: "Policy changed." });
    expect(await updatePolicyAction({ ...settings, noticeDays: 50 })).toMatchObject({ ok: false, field: "noticeDays" });
    expect(await updatePolicyAction(settings)).toMatchObject({ ok: true });
    viewer = as("operator");
    expect(await acknowledgeAlertAction({ alertId: alert.id })).toMatchObject({ ok: true, message: "Alert acknowledged." });
    expect(await resolveAlertAction({ alertId: alert.id })).toMatchObject({ ok: true });
    expect(await resolveAlertAction({ alertId: alert.id })).toMatchObject({ ok: false, code: "conflict" });
  });
});

describe("user and token actions", () => {
  it("are for admins only, and nothing changes when refused", async () => {
    const prisma = await testPrisma();
    const before = [await prisma.user.count(), await prisma.managementToken.count()];
    for (const role of ["operator", "auditor", "customer"] as const) {
      viewer = as(role);
      expect(await inviteUserAction({ email: "x@example.com", role: "operator" })).toMatchObject({ ok: false, code: "forbidden" });
      expect(await changeUserRoleAction({ userId: "u", role: "admin" })).toMatchObject({ ok: false, code: "forbidden" });
      expect(await setUserDisabledAction({ userId: "u", disabled: true })).toMatchObject({ ok: false, code: "forbidden" });
      expect(await createManagementTokenAction({ name: "t" })).toMatchObject({ ok: false, code: "forbidden" });
      expect(await revokeManagementTokenAction({ tokenId: "t" })).toMatchObject({ ok: false, code: "forbidden" });
    }
    expect([await prisma.user.count(), await prisma.managementToken.count()]).toEqual(before);
    viewer = as("admin");
    const created = await createManagementTokenAction({ name: "ci" });
    expect(created).toMatchObject({ ok: true, data: { secret: expect.stringMatching(/^rkm_mgmt_/) } });
    expect(await inviteUserAction({ email: "not-an-email", role: "operator" })).toMatchObject({ ok: false, field: "email" });
  });
});

describe("bulk action", () => {
  it("is refused for auditors and customers, validated, and done for operators", async () => {
    const org = await makeOrg();
    await makeKey(org.id, { at: new Date() });
    const input = { organizationId: org.id, scheduledAt: new Date(Date.now() + 86_400_000).toISOString(), reason: "bulk" };
    for (const role of ["auditor", "customer"] as const) {
      viewer = as(role);
      expect(await bulkScheduleRotationsAction(input)).toMatchObject({ ok: false, code: "forbidden" });
    }
    const prisma = await testPrisma();
    expect(await prisma.rotation.count({ where: { key: { organizationId: org.id } } })).toBe(0);
    viewer = as("operator");
    expect(await bulkScheduleRotationsAction({ ...input, reason: "" })).toMatchObject({ ok: false, field: "reason" });
    expect(await bulkScheduleRotationsAction(input)).toMatchObject({
      ok: true,
      message: "Scheduled 1 rotation. Keys already rotating, or not active, were left alone.",
    });
  });
});

describe("outbox actions", () => {
  it("are for admins only; a retry needs a failed email and says why not", async () => {
    const org = await makeOrg();
    const { key } = await makeKey(org.id);
    const prisma = await testPrisma();
    const failed = await prisma.notification.create({
      data: {
        kind: "key_revoked",
        organizationId: org.id,
        keyId: key.id,
        recipient: "ops@example.com",
        idempotencyKey: `key_revoked:test:${key.id}`,
        payload: { keyPrefix: key.prefix },
        status: "failed",
        attempts: 8,
        nextAttemptAt: new Date(),
        lastError: "550 no such mailbox",
      },
    });
    for (const role of ["operator", "auditor", "customer"] as const) {
      viewer = as(role);
      expect(await deliverOutboxAction({})).toMatchObject({ ok: false, code: "forbidden" });
      expect(await retryNotificationAction({ notificationId: failed.id })).toMatchObject({ ok: false, code: "forbidden" });
    }
    expect(await prisma.notification.findUniqueOrThrow({ where: { id: failed.id } })).toMatchObject({ status: "failed", attempts: 8 });
    viewer = as("admin");
    expect(await retryNotificationAction({ notificationId: "" })).toMatchObject({ ok: false, field: "notificationId" });
    expect(await retryNotificationAction({ notificationId: failed.id })).toMatchObject({ ok: true });
    expect(await prisma.notification.findUniqueOrThrow({ where: { id: failed.id } })).toMatchObject({ status: "pending", attempts: 0 });
    expect(await retryNotificationAction({ notificationId: failed.id })).toMatchObject({
      ok: false,
      code: "conflict",
      error: expect.stringContaining("only a failed email"),
    });
    expect(await prisma.auditEvent.count({ where: { action: "notification.retried" } })).toBe(1);
  });
});

describe("multi-factor actions", () => {
  it("only admins require it or reset someone's; bad input is refused; nothing changes when refused", async () => {
    const prisma = await testPrisma();
    const target = await prisma.user.create({
      data: { email: `mfa-target-${Date.now()}@example.com`, role: "operator", totpSecret: "v1.a.b.c", totpEnabledAt: new Date() },
    });
    for (const role of ["operator", "auditor", "customer"] as const) {
      viewer = as(role);
      expect(await setStaffMfaRequiredAction({ required: true })).toMatchObject({ ok: false, code: "forbidden" });
      expect(await resetUserMfaAction({ userId: target.id })).toMatchObject({ ok: false, code: "forbidden" });
    }
    expect(await prisma.settings.count()).toBe(0);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: target.id } })).totpEnabledAt).not.toBeNull();
    viewer = as("admin");
    expect(await setStaffMfaRequiredAction({ required: "on" })).toMatchObject({ ok: false, field: "required" });
    expect(await setStaffMfaRequiredAction({ required: true })).toMatchObject({ ok: true });
    expect(await resetUserMfaAction({ userId: target.id })).toMatchObject({ ok: true, message: expect.stringContaining(target.email) });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: target.id } })).totpEnabledAt).toBeNull();
    // With the requirement on, staff without MFA may do nothing but set it up.
    viewer = { ...as("operator"), mustEnrollMfa: true };
    expect(await rotateKeyAction({ keyId: "x", kind: "manual" })).toMatchObject({
      ok: false,
      code: "forbidden",
      error: expect.stringContaining("Set up multi-factor sign-in first"),
    });
    expect(await startMfaEnrolmentAction({ currentPassword: "" })).toMatchObject({ ok: false, field: "currentPassword" });
    expect(await setStaffMfaRequiredAction({ required: false })).toMatchObject({ ok: false, code: "forbidden" });
  });
});

describe("webhook and leak-report actions", () => {
  beforeEach(() => {
    viewer = null;
    process.env.REKEY_WEBHOOKS_ALLOW_PRIVATE = "1";
  });

  it("only admins and operators register staff endpoints; a customer's endpoint is for their own organization, whatever the form said", async () => {
    const a = await makeOrg();
    const b = await makeOrg();
    for (const who of [null, as("auditor"), as("customer")]) {
      viewer = who;
      expect(await staffWebhooks.createWebhookAction({ url: "http://127.0.0.1:9/x" })).toMatchObject({ ok: false, code: who ? "forbidden" : "unauthorized" });
    }
    viewer = { ...as("customer"), orgId: a.id };
    expect(await portalWebhooks.createWebhookAction({ url: "http://127.0.0.1:9/x", organizationId: b.id })).toMatchObject({ ok: false, code: "not_found" });
    const made = await portalWebhooks.createWebhookAction({ url: "http://127.0.0.1:9/x" });
    expect(made).toMatchObject({ ok: true, data: { secret: expect.stringMatching(/^whsec_/) } });
    const prisma = await testPrisma();
    expect((await prisma.webhookEndpoint.findMany()).map((e) => e.organizationId)).toEqual([a.id]);
    viewer = { ...as("customer"), orgId: b.id };
    expect(await portalWebhooks.deleteWebhookAction({ id: (made as { data: { id: string } }).data.id })).toMatchObject({ ok: false, code: "not_found" });
    viewer = as("operator");
    expect(await staffWebhooks.createWebhookAction({ url: "http://127.0.0.1:9/y", organizationId: b.id })).toMatchObject({ ok: true });
  });

  it("auditors cannot report a leak; an operator's report revokes the key; a customer's, too", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id, { at: new Date() });
    viewer = as("auditor");
    expect(await reportLeakedKeyAction({ key: secret })).toMatchObject({ ok: false, code: "forbidden" });
    viewer = as("operator");
    expect(await reportLeakedKeyAction({ key: "rk_live_nothing" })).toMatchObject({ ok: true, message: expect.stringMatching(/not one of our keys/) });
    expect(await reportLeakedKeyAction({ key: secret, url: "https://gist.example/1" })).toMatchObject({
      ok: true,
      message: expect.stringContaining(`Key ${key.prefix}… is revoked now`),
    });
    const prisma = await testPrisma();
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: key.id } })).status).toBe("revoked");
    const other = await makeKey(org.id, { at: new Date() });
    viewer = { ...as("customer"), orgId: org.id };
    expect(await portalActions.reportLeakedKeyAction({ key: other.secret })).toMatchObject({ ok: true });
    expect((await prisma.apiKey.findUniqueOrThrow({ where: { id: other.key.id } })).status).toBe("revoked");
  });
});
