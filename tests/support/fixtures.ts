import { randomBytes } from "node:crypto";
import { createOrganization } from "../../lib/organizations/mutations";
import { issueKey } from "../../lib/keys/mutations";
import type { Actor } from "../../lib/auth/actor";

export const ADMIN: Actor = "user:test-admin";
export const T0 = new Date("2026-01-05T09:00:00.000Z");
export const hours = (n: number) => n * 3_600_000;
export const at = (ms: number) => new Date(T0.getTime() + ms);

export async function makeOrg(name = `Org ${randomBytes(3).toString("hex")}`) {
  return createOrganization({ name, contactEmails: ["ops@example.com", "security@example.com"], timeZone: "Europe/Berlin" }, { actor: ADMIN, now: T0 });
}

/** A key issued at T0, or at `at` (a test that schedules on the real clock needs a key young enough to be scheduled). */
export async function makeKey(organizationId: string, overrides: { scopes?: string[]; rateLimit?: number; environment?: "live" | "test"; at?: Date } = {}) {
  return issueKey(
    {
      organizationId,
      environment: overrides.environment ?? "live",
      name: "backend",
      scopes: overrides.scopes ?? ["read:orders", "write:orders"],
      rateLimit: overrides.rateLimit ?? 600,
    },
    { actor: ADMIN, now: overrides.at ?? T0 },
  );
}
