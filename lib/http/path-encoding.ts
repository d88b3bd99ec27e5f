// No "server-only" and nothing from the database or the logger: proxy.ts
// imports this module, and it must stay small and load nothing else.

/** What a path that does not decode gets: the same words on every path that checks it. */
export const BAD_PATH_MESSAGE = "The path is not valid percent-encoding (a % must be followed by two hex digits of UTF-8).";

const HEX = "[0-9A-Fa-f]";
const CONT = `%[89ABab]${HEX}`;
/**
 * One character of a path that decodeURIComponent accepts: anything but a
 * %, or a percent-encoded UTF-8 sequence that is neither overlong nor a
 * surrogate nor past U+10FFFF (RFC 3629's table, row by row).
 */
const VALID_PATH_CHARACTER =
  `(?:[^%]|%[0-7]${HEX}|%[Cc][2-9A-Fa-f]${CONT}|%[Dd]${HEX}${CONT}` +
  `|%[Ee]0%[AaBb]${HEX}${CONT}|%[Ee][1-9A-Ca-c]${CONT}${CONT}|%[Ee][Dd]%[89]${HEX}${CONT}|%[Ee][EeFf]${CONT}${CONT}` +
  `|%[Ff]0%(?:9${HEX}|[AaBb]${HEX})${CONT}${CONT}|%[Ff][1-3]${CONT}${CONT}${CONT}|%[Ff]4%8${HEX}${CONT}${CONT})`;

/**
 * proxy.ts's matcher for paths that do not decode, as the path-to-regexp
 * source Next compiles. Next reads a matcher only as a literal, so proxy.ts
 * spells it out and a test holds the two equal. It matches only such paths,
 * so no other request pays for a proxy (a matched request's body is buffered
 * by Next, up to `proxyClientMaxBodySize`, which would cut the usage report
 * and put a 10 MB buffer before verify's 8 KB limit).
 */
export const UNDECODABLE_PATH_MATCHER = `/((?!${VALID_PATH_CHARACTER}*$).*)`;

/**
 * Whether a request's path is not valid percent-encoding (`%E0%A4%A`, `%ZZ`).
 * Next 16 decodes a dynamic route's parameters before the page or handler
 * runs and answers a failure with a bare 500 (its DecodeError is caught by
 * class, and the route bundle's class is another copy), so proxy.ts answers
 * first, under `npm start`, `next start` and a platform's runtime alike.
 */
export function isUndecodablePath(path: string): boolean {
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

/** The 400 for such a path: the API's error shape under /api/, a line of text for a page. */
export function undecodablePathResponse(path: string): Response {
  const headers = { "cache-control": "no-store" };
  if (path.startsWith("/api/")) return Response.json({ error: { code: "invalid_request", message: BAD_PATH_MESSAGE } }, { status: 400, headers });
  return new Response(`Bad request: ${BAD_PATH_MESSAGE}\n`, { status: 400, headers: { ...headers, "content-type": "text/plain; charset=utf-8" } });
}
