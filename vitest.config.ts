import { defineConfig } from "vitest/config";
import path from "node:path";
import { tmpdir } from "node:os";

// Domain rules are tested on both databases (STYLE.md): always on the embedded
// PGlite, and on a PostgreSQL server when TEST_DATABASE_URL names a local one.
const databases = ["pglite", ...(process.env.TEST_DATABASE_URL ? ["postgres"] : [])];

export default defineConfig({
  resolve: {
    alias: {
      "server-only": path.resolve("tests/support/server-only.ts"),
      "@": path.resolve("."),
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: databases.map((db) => ({
      extends: true,
      test: {
        name: db,
        include: ["lib/**/*.test.ts", "tests/**/*.test.ts"],
        globalSetup: ["tests/support/global-setup.ts"],
        env: {
          REKEY_TEST_DB: db,
          // The revocation journal of this run, outside the checkout (tests of the journal name their own files);
          // no scheduled backups from the cron calls of other tests.
          REKEY_REVOCATION_JOURNAL: path.join(tmpdir(), `rekey-vitest-${process.pid}-journal.jsonl`),
          REKEY_BACKUP_EVERY_HOURS: "0",
          REKEY_SECRET: "test-secret-0123456789abcdef0123456789abcdef",
          // Its own secret, as in production: sessions are not signed with the hashing secret.
          NEXTAUTH_SECRET: "test-session-secret-0123456789abcdef0123456789",
          REKEY_BOOTSTRAP_TOKEN: "test-bootstrap-token-0123456789abcdef",
          // The fuzz test alone sends some 2,000 management requests a minute with it; tests/rate-limit.test.ts sets a low limit of its own.
          REKEY_MANAGEMENT_RATE_LIMIT: "1000000",
          // Seals TOTP seeds (lib/secret.ts): its own secret, as in production.
          REKEY_DATA_SECRET: "test-data-secret-0123456789abcdef0123456789",
          // A fixed test key for signed audit checkpoints (lib/audit/checkpoints.ts), so no test writes ./data.
          REKEY_CHECKPOINT_KEY: "-----BEGIN PRIVATE KEY-----\\nMC4CAQAwBQYDK2VwBCIEIGKLIFG5SQ8mmKMY8nG8SXI7XUD+xt6Fv01g8E//pwfG\\n-----END PRIVATE KEY-----\\n",
        },
      },
    })),
  },
});
