/**
 * What a staff member typed into a key search, read without a database.
 * Pure, so the page, the server action and the tests share one reading.
 */
import { PREFIX_RANDOM_CHARS } from "../../packages/verifier/src/format";
import { configuredKeyFormat } from "./format";

/** The longest search text kept; anything longer is cut. */
export const SEARCH_MAX_LENGTH = 200;

const SECRET_HEAD = /^(rkm?)_(live|test|mgmt)_/;

export type KeySearch =
  /** A prefix (or the start of one): matched against the stored display prefix. */
  | { kind: "prefix"; prefix: string }
  /** Anything else: a part of a key's name or of its organization's name, any case. */
  | { kind: "text"; text: string };

/**
 * Reads a search. Text that starts like a key or token (`rk_live_…`, or a
 * configured key prefix) is a
 * prefix search, cut to the length of a stored prefix: whatever follows it
 * would be secret material, so it never reaches a URL, a log or the page.
 * Returns null for an empty search.
 */
export function readKeySearch(raw: string | null | undefined): KeySearch | null {
  const q = (raw ?? "").trim().slice(0, SEARCH_MAX_LENGTH);
  if (!q) return null;
  const head = SECRET_HEAD.exec(q)?.[0] ?? Object.values(configuredKeyFormat().prefixes).find((p) => q.startsWith(p));
  if (head) return { kind: "prefix", prefix: q.slice(0, head.length + PREFIX_RANDOM_CHARS) };
  return { kind: "text", text: q };
}

/** The search as it may appear in a URL and on the page: never more of a key than its display prefix. */
export function searchForUrl(search: KeySearch | null): string | undefined {
  if (!search) return undefined;
  return search.kind === "prefix" ? search.prefix : search.text;
}

/** Escapes LIKE's wildcards (and its escape character) so the text matches only itself. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
