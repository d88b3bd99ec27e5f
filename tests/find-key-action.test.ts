import { beforeEach, describe, expect, it, vi } from "vitest";
import { useTestDatabase } from "./support/database";
import { makeKey, makeOrg } from "./support/fixtures";
import type { Viewer } from "../lib/auth/viewer";
import { generateApiKey } from "../lib/keys/format";

let viewer: Viewer | null = null;
vi.mock("../lib/auth/viewer", () => ({ getViewer: async () => viewer }));
vi.mock("next/cache", () => ({ revalidatePath: () => {} }));
// next/navigation's redirect throws to end the action; here it throws the URL so the test can read it.
class Redirect extends Error {
  constructor(readonly url: string) {
    super(url);
  }
}
vi.mock("next/navigation", () => ({
  redirect: (url: string) => {
    throw new Redirect(url);
  },
}));

const { findKeyAction } = await import("../app/(staff)/dashboard/keys/actions");

useTestDatabase();

const as = (role: Viewer["role"]): Viewer => ({
  userId: `${role}-1`,
  email: `${role}@example.com`,
  role,
  orgId: null,
  signedInAt: new Date(),
  sessionId: "00000000-0000-4000-8000-000000000000",
});

async function search(fields: Record<string, string>): Promise<string> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  try {
    await findKeyAction(form);
  } catch (error) {
    if (error instanceof Redirect) return error.url;
    throw error;
  }
  throw new Error("no redirect");
}

describe("the key search action", () => {
  beforeEach(() => {
    viewer = null;
  });

  it("is refused to visitors and customers", async () => {
    await expect(search({ q: "Initech" })).rejects.toThrow();
    viewer = as("customer");
    await expect(search({ q: "Initech" })).rejects.toThrow();
  });

  it("opens the key a pasted full key is, found by its hash, for any staff role", async () => {
    const org = await makeOrg();
    const { key, secret } = await makeKey(org.id);
    for (const role of ["auditor", "operator", "admin"] as const) {
      viewer = as(role);
      expect(await search({ q: ` ${secret}\n` })).toBe(`/dashboard/keys/${key.id}`);
    }
  });

  it("answers an unknown full key with its prefix only, and keeps the list's filters", async () => {
    viewer = as("operator");
    const org = await makeOrg();
    const { secret, prefix } = generateApiKey("live");
    const key = { prefix };
    const url = await search({ q: secret, status: "active", sort: "age" });
    expect(url).not.toContain(secret.slice(key.prefix.length));
    const params = new URL(url, "http://x").searchParams;
    expect(Object.fromEntries(params)).toEqual({ status: "active", sort: "age", q: key.prefix, nokey: "1" });
    expect(await search({ q: "CI pipeline", org: org.id })).toBe(`/dashboard/keys?org=${org.id}&q=CI+pipeline`);
    expect(await search({ q: "" })).toBe("/dashboard/keys");
  });
});
