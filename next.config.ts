import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite loads its WebAssembly and data files at run time, and pino its
  // workers: bundling breaks them (PLATFORM.md).
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pino", "@prisma/schema-engine-wasm"],
  poweredByHeader: false,
  // forbidden(): a signed-in user without the role gets a real 403 page.
  experimental: { authInterrupts: true },
};

export default nextConfig;
