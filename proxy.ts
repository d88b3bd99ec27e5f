import { NextResponse, type NextRequest } from "next/server";

/**
 * Passes the requested path of a staff or portal page to its layout, which
 * checks the viewer before any of the page streams (so a visitor gets a real
 * redirect and a wrong role a real 403) and needs the path to come back after
 * sign-in. No authorization happens here: only /dashboard and /portal match.
 */
export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set("x-rekey-path", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/dashboard", "/dashboard/:path*", "/portal", "/portal/:path*"] };
