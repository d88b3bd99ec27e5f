import type { NextConfig } from "next";
import { API_CSP, STATIC_SECURITY_HEADERS } from "./lib/http/security-headers";

const toList = (headers: Readonly<Record<string, string>>) => Object.entries(headers).map(([key, value]) => ({ key, value }));

const nextConfig: NextConfig = {
  // PGlite loads its WebAssembly and data files at run time, pino its
  // workers, MJML and Handlebars their parts by dynamic require: bundling
  // breaks them (PLATFORM.md). The mail and metrics libraries stay plain Node.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pglite-prisma-adapter",
    "pino",
    "@prisma/schema-engine-wasm",
    "mjml",
    "handlebars",
    "nodemailer",
    "prom-client",
    "pdfkit",
  ],
  poweredByHeader: false,
  // forbidden(): a signed-in user without the role gets a real 403 page.
  experimental: { authInterrupts: true },
  // Headers that need nothing from the request, on every response; pages get
  // their nonce CSP (and HSTS behind TLS) from proxy.ts. Under npm start,
  // POST /api/v1/keys/verify is answered before Next: lib/http/fast-verify.ts
  // sends the same API set itself.
  // The checkpoint signing keys at a well-known path, so an auditor finds them without the docs.
  async rewrites() {
    return [{ source: "/.well-known/rekey-checkpoint-keys.json", destination: "/api/v1/audit/checkpoint-keys" }];
  },
  async headers() {
    return [
      { source: "/:path*", headers: toList(STATIC_SECURITY_HEADERS) },
      { source: "/api/:path*", headers: [{ key: "content-security-policy", value: API_CSP }] },
    ];
  },
};

export default nextConfig;
