import { beforeEach, describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma, resetTestData } from "../../tests/support/database";
import { T0, makeOrg } from "../../tests/support/fixtures";
import { changeUserRole, createUsers, inviteUser, setUserDisabled } from "./users";
import { authenticateStaff } from "./sign-in";
import { authenticateManagementRequest, createManagementToken, revokeManagementToken } from "./management-tokens";

useTestDatabase();
beforeEach(resetTestData);

describe("user management", () => {
  it("invites staff with a one-time password that signs in, and customers into an organization without one", async () => {
    const [admin] = await createUsers([{ email: "lead@example.com", role: "admin", password: "lead-password-123" }], { actor: "bootstrap", now: T0 });
    const { user, password } = await inviteUser({ email: "New.Op@Example.com", role: "operator" }, { actor: `user:${admin.id}`, now: T0 });
    expect(user).toMatchObject({ email: "new.op@example.com", role: "operator" });
    expect(await authenticateStaff({ email: "new.op@example.com", password: password! }, T0)).toMatchObject({ role: "operator" });
    const org = await makeOrg();
    expect(
      (await inviteUser({ email: "dev@customer.example", role: "customer", organizationId: org.id }, { actor: `user:${admin.id}`, now: T0 })).password,
    ).toBeUndefined();
    await expect(inviteUser({ email: "x@customer.example", role: "customer" }, { actor: `user:${admin.id}`, now: T0 })).rejects.toThrow(
      /^organizationId: is required for a customer/,
    );
    await expect(inviteUser({ email: "new.op@example.com", role: "auditor" }, { actor: `user:${admin.id}`, now: T0 })).rejects.toThrow(/already exists/);
  });

  it("never leaves rekey without an active admin, and nobody disables themselves", async () => {
    const [admin, other] = await createUsers(
      [
        { email: "a@example.com", role: "admin", password: "admin-password-123" },
        { email: "b@example.com", role: "operator", password: "other-password-123" },
      ],
      { actor: "bootstrap", now: T0 },
    );
    const actor = `user:${admin.id}` as const;
    await expect(changeUserRole({ userId: admin.id, role: "operator" }, { actor, now: T0 })).rejects.toThrow(/last active admin/);
    await expect(setUserDisabled({ userId: admin.id, disabled: true }, { actor, now: T0 })).rejects.toThrow(/cannot disable yourself/);
    await changeUserRole({ userId: other.id, role: "admin" }, { actor, now: T0 });
    await expect(changeUserRole({ userId: other.id, role: "customer" }, { actor, now: T0 })).rejects.toThrow(/customer cannot become staff/);
    expect(await changeUserRole({ userId: admin.id, role: "auditor" }, { actor: `user:${other.id}`, now: T0 })).toMatchObject({ role: "auditor" });
    await setUserDisabled({ userId: admin.id, disabled: true }, { actor: `user:${other.id}`, now: T0 });
    expect(await authenticateStaff({ email: "a@example.com", password: "admin-password-123" }, T0)).toBeNull();
    const prisma = await testPrisma();
    expect((await prisma.auditEvent.findMany({ where: { action: { in: ["user.role_changed", "user.disabled"] } } })).length).toBe(3);
  });
});

describe("management tokens", () => {
  it("work until revoked, then answer 401", async () => {
    const { token, secret } = await createManagementToken("deploys", { actor: "bootstrap", now: T0 });
    const request = () => new Request("http://localhost/api/v1/organizations", { headers: { authorization: `Bearer ${secret}` } });
    expect(await authenticateManagementRequest(request(), T0)).toBe(`token:${token.id}`);
    await revokeManagementToken(token.id, { actor: "bootstrap", now: T0 });
    await expect(authenticateManagementRequest(request(), T0)).rejects.toThrow(/not a valid management token/);
    await expect(revokeManagementToken(token.id, { actor: "bootstrap", now: T0 })).rejects.toThrow(/already revoked/);
  });
});
