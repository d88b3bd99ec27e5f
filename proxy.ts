import { NextResponse, type NextRequest } from "next/server";
import { HSTS, pageCsp, servedOverTls } from "@/lib/http/security-headers";
import { trustedProxyHops } from "@/lib/http/client-address";

/**
 * Every page request: a fresh CSP nonce, which Next reads from the
 * request's Content-Security-Policy header and puts on its own scripts
 * (so every page renders per request, which they all do: the root layout
 * reads the session). The static headers (nosniff, frame options, referrer
 * and permissions policies) come from next.config.ts, for pages and API
 * alike; API routes get their own CSP there.
 *
 * Also passes the requested path to the staff and portal layouts, which
 * check the viewer before any of the page streams and need the path to come
 * back after sign-in. No authorization happens here.
 */
export function proxy(request: NextRequest) {
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const tls = servedOverTls(process.env.NEXTAUTH_URL, trustedProxyHops(), request.headers.get("x-forwarded-proto"));
  const csp = pageCsp(nonce, { dev: process.env.NODE_ENV === "development", tls });
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  headers.set("x-rekey-path", request.nextUrl.pathname + request.nextUrl.search);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  if (tls) response.headers.set("strict-transport-security", HSTS);
  return response;
}

// Everything but API routes (their CSP is static, next.config.ts) and build
// assets. Prefetches match too: the layouts need x-rekey-path on them.
export const config = { matcher: ["/((?!api/|_next/static/|_next/image|favicon.ico).*)"] };
