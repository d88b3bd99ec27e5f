import { defineConfig } from "prisma/config";

// The CLI reads this. On this machine only `prisma generate` runs (see
// docs/architecture.md); migrations go through scripts/db-migrate.ts.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
