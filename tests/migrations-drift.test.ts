import { describe, expect, it } from "vitest";
import { pendingSchemaChange } from "../lib/migrations";
import { testDatabaseKind } from "./support/database";

// The engine's diff runs on an in-memory PGlite whatever the project: once is enough.
describe.runIf(testDatabaseKind === "pglite")("migrations", () => {
  it("prisma/migrations produce exactly schema.prisma (run `npm run db:migration:new -- <name>` if not)", async () => {
    expect(await pendingSchemaChange()).toBe("");
  });
});
