import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite loads its WebAssembly and data files at run time, pino its
  // workers, MJML and Handlebars their parts by dynamic require: bundling
  // breaks them (PLATFORM.md). The mail and metrics libraries stay plain Node.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "pino", "@prisma/schema-engine-wasm", "mjml", "handlebars", "nodemailer", "prom-client", "pdfkit"],
  poweredByHeader: false,
  // forbidden(): a signed-in user without the role gets a real 403 page.
  experimental: { authInterrupts: true },
};

export default nextConfig;
