import { NextResponse, type NextRequest } from "next/server";
import { HSTS, pageCsp, servedOverTls } from "@/lib/http/security-headers";
import { trustedProxyHops } from "@/lib/http/client-address";
import { isUndecodablePath, undecodablePathResponse } from "@/lib/http/path-encoding";
import { env } from "./lib/env";

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
 *
 * And any request, page or API, whose path is not valid percent-encoding:
 * a 400 here, before Next decodes the route's parameters and answers 500.
 */
export function proxy(request: NextRequest) {
  if (isUndecodablePath(request.nextUrl.pathname)) return undecodablePathResponse(request.nextUrl.pathname);
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const tls = servedOverTls(env("NEXTAUTH_URL"), trustedProxyHops(), request.headers.get("x-forwarded-proto"));
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
// The second matcher is UNDECODABLE_PATH_MATCHER (lib/http/path-encoding.ts;
// Next reads only a literal here, a test holds the two equal): it catches
// the API paths that do not decode and no other, so no other API request
// pays for a proxy (Next buffers a matched request's body).
export const config = {
  matcher: [
    "/((?!api/|_next/static/|_next/image|favicon.ico).*)",
    "/((?!(?:[^%]|%[0-7][0-9A-Fa-f]|%[Cc][2-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Dd][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee]0%[AaBb][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][1-9A-Ca-c]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][Dd]%[89][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][EeFf]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ff]0%(?:9[0-9A-Fa-f]|[AaBb][0-9A-Fa-f])%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ff][1-3]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ff]4%8[0-9A-Fa-f]%[89ABab][0-9A-Fa-f]%[89ABab][0-9A-Fa-f])*$).*)",
  ],
};
