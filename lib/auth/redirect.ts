/**
 * The one check for every "where to go next" a request names (callbackUrl,
 * returnTo): a path on this site, or `fallback`. Browsers read `/\evil`,
 * `/%09/evil` (a tab, dropped) and `//evil` as another host, so anything
 * that is not plainly a same-origin path is refused rather than repaired:
 * backslashes, control characters and whitespace, encoded slashes and
 * backslashes, protocol-relative and absolute URLs.
 */
export function safeReturnPath(raw: unknown, fallback: string): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 2000) return fallback;
  if (!raw.startsWith("/") || raw.startsWith("//")) return fallback;
  // Control characters, spaces and backslashes anywhere; encoded slashes, backslashes and controls too (a later decode would bring them back).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point of this check
  if (/[\u0000-\u0020\u007f\\]/.test(raw) || /%(2f|5c|[01][0-9a-f]|7f|20)/i.test(raw.split(/[?#]/)[0])) return fallback;
  let url: URL;
  try {
    url = new URL(raw, "http://rekey.invalid");
  } catch {
    return fallback;
  }
  if (url.origin !== "http://rekey.invalid" || url.pathname.startsWith("//")) return fallback;
  return url.pathname + url.search + url.hash;
}
