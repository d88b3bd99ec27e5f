import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Viewer } from "../lib/auth/viewer";

// Pages call requirePagePermission: a visitor is redirected to sign-in, a signed-in user without the role gets forbidden() (a 403 page).
let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/navigation", () => ({
  redirect: (to: string) => {
    throw new Error(`redirect:${to}`);
  },
  forbidden: () => {
    throw new Error("forbidden");
  },
}));

const { requirePagePermission, requirePermission } = await import("../lib/auth/authorize");
const { PERMISSIONS } = await import("../lib/auth/permissions");
const as = (role: Viewer["role"]): Viewer => ({
  userId: role,
  email: `${role}@example.com`,
  role,
  orgId: role === "customer" ? "org-1" : null,
  signedInAt: new Date(),
  sessionId: "00000000-0000-4000-8000-000000000000",
});

describe("authorization (DOMAIN.md: People)", () => {
  beforeEach(() => {
    viewer = null;
  });

  it("sends a visitor to sign in, with the page to come back to", async () => {
    await expect(requirePagePermission("staff:read", "/dashboard/keys?status=active")).rejects.toThrow(
      "redirect:/signin?callbackUrl=%2Fdashboard%2Fkeys%3Fstatus%3Dactive",
    );
    await expect(requirePermission("staff:read")).rejects.toThrow(/Sign in first/);
  });

  it("gives a customer who opens a staff page a 403", async () => {
    viewer = as("customer");
    await expect(requirePagePermission("staff:read", "/dashboard")).rejects.toThrow("forbidden");
  });

  it("follows the table of DOMAIN.md for every role and permission", async () => {
    const expected: Record<string, string[]> = {
      admin: [
        "staff:read",
        "keys:rotate",
        "policies:edit",
        "users:manage",
        "tokens:manage",
        "reports:download",
        "rotations:postpone",
        "webhooks:manage",
        "outbox:manage",
        "account:manage",
      ],
      operator: ["staff:read", "keys:rotate", "rotations:postpone", "webhooks:manage", "account:manage"],
      auditor: ["staff:read", "reports:download", "account:manage"],
      customer: ["rotations:postpone", "portal:use", "account:manage"],
    };
    for (const [role, allowed] of Object.entries(expected)) {
      viewer = as(role as Viewer["role"]);
      for (const permission of Object.keys(PERMISSIONS) as (keyof typeof PERMISSIONS)[]) {
        const outcome = requirePermission(permission);
        if (allowed.includes(permission)) await expect(outcome).resolves.toMatchObject({ role });
        else await expect(outcome, `${role} must not ${permission}`).rejects.toThrow(/does not allow/);
      }
    }
  });

  it("lets a user who holds a one-time password do nothing but change it", async () => {
    viewer = { ...as("admin"), mustChangePassword: true };
    await expect(requirePagePermission("staff:read", "/dashboard/keys")).rejects.toThrow("redirect:/dashboard/account?first=1");
    await expect(requirePagePermission("staff:read", "/dashboard/account", { accountPage: true })).resolves.toMatchObject({ role: "admin" });
    await expect(requirePermission("keys:rotate")).rejects.toThrow(/Choose your own password first/);
    await expect(requirePermission("account:manage")).resolves.toMatchObject({ role: "admin" });
  });

  it("lets staff who must set up multi-factor sign-in do nothing but that", async () => {
    viewer = { ...as("operator"), mustEnrollMfa: true };
    await expect(requirePagePermission("staff:read", "/dashboard/keys")).rejects.toThrow("redirect:/dashboard/account?mfa=1");
    await expect(requirePagePermission("staff:read", "/dashboard/account", { accountPage: true })).resolves.toMatchObject({ role: "operator" });
    await expect(requirePermission("keys:rotate")).rejects.toThrow(/Set up multi-factor sign-in first/);
    await expect(requirePermission("account:manage")).resolves.toMatchObject({ role: "operator" });
  });
});
