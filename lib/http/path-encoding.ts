import type { ServerResponse } from "node:http";
import { ValidationError } from "../errors";

// No "server-only" and no import of the route wrapper: proxy.ts runs this
// check too, and must not pull the database into the proxy's bundle.

/** What a path that does not decode gets: the same words on every path that checks it. */
export const BAD_PATH_MESSAGE = "The path is not valid percent-encoding (a % must be followed by two hex digits of UTF-8).";

/**
 * Whether an API request's path is not valid percent-encoding (`%E0%A4%A`,
 * `%ZZ`). Next 16 decodes a dynamic route's parameters before the handler
 * runs and answers a failure with a bare 500 (its DecodeError is caught by
 * class, and the route bundle's class is another copy), so it is checked
 * before the route: in proxy.ts under any server (`next start`, Vercel), and
 * in scripts/serve.ts under `npm start`. Only /api/ paths: pages keep Next's
 * own answer.
 */
export function isUndecodableApiPath(url: string | undefined): boolean {
  if (!url?.startsWith("/api/")) return false;
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

const badPath = new ValidationError(BAD_PATH_MESSAGE);
const BAD_PATH_BODY = JSON.stringify({ error: { code: badPath.code, message: badPath.message } });
const BAD_PATH_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

/** The 400 for such a path, in the API's error shape, as a web Response (proxy.ts). */
export function undecodablePathResponse(): Response {
  return new Response(BAD_PATH_BODY, { status: badPath.status, headers: BAD_PATH_HEADERS });
}

/** The same 400 on a Node response (scripts/serve.ts, before Next). */
export function answerUndecodablePath(res: ServerResponse): void {
  res.writeHead(badPath.status, { ...BAD_PATH_HEADERS, "content-length": Buffer.byteLength(BAD_PATH_BODY) });
  res.end(BAD_PATH_BODY);
}
