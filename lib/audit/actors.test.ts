import { describe, expect, it } from "vitest";
import { useTestDatabase, testPrisma } from "../../tests/support/database";
import { describeActorsForStaff } from "./actors";

useTestDatabase();

describe("actors as staff read them", () => {
  it("names people by name and email, tokens by name, the system in words, and keeps an unknown id as it is", async () => {
    const prisma = await testPrisma();
    const named = await prisma.user.create({ data: { email: "lead@example.com", name: "Dana Lead", role: "admin" } });
    const unnamed = await prisma.user.create({ data: { email: "ops@example.com", role: "operator" } });
    const token = await prisma.managementToken.create({ data: { name: "deploy bot", prefix: "rkm_mgmt_abcdefgh", hash: "h-actors-test", hashVersion: 1 } });
    const actors = [`user:${named.id}`, `user:${unnamed.id}`, `token:${token.id}`, "system:cron", "user:gone", `user:${named.id}`];
    const who = await describeActorsForStaff(actors);
    expect([...who.values()].map((w) => w.label)).toEqual([
      "Dana Lead (lead@example.com)",
      "ops@example.com",
      "token “deploy bot”",
      "rekey's cron",
      "user:gone",
    ]);
    expect(who.get(`user:${named.id}`)?.id).toBe(`user:${named.id}`);
  });
});
