// No "server-only" here: next.config.ts and proxy.ts import this module, and
// neither may load a React server-only marker. It reads no secrets.

/**
 * Same-origin requests keep the full referrer; other sites get only the
 * origin, and nothing over a downgrade. Not `no-referrer`: under it a
 * browser sends `Origin: null` on a same-origin POST (Fetch standard,
 * "serializing a request origin"), which Next's server-action origin check
 * refuses.
 */
export const REFERRER_POLICY = "strict-origin-when-cross-origin";

/** Features rekey never uses, off for it and for anything framed (nothing may frame it anyway). Clipboard stays on: the one-time key has a copy button. */
export const PERMISSIONS_POLICY =
  "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), browsing-topics=()";

/** A JSON or CSV answer renders nothing, loads nothing and is never framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Every response, page or API: the headers that need nothing from the request. */
export const STATIC_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": REFERRER_POLICY,
  "permissions-policy": PERMISSIONS_POLICY,
});

/** API responses: the static set plus a CSP that allows nothing. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...STATIC_SECURITY_HEADERS, "content-security-policy": API_CSP });

/** One year, this host only: rekey is often one host of a larger domain, whose other hosts it must not commit to HTTPS. */
export const HSTS = "max-age=31536000";

/**
 * A page's CSP: scripts only with this response's nonce (Next puts it on
 * its own scripts, reading it from the request's CSP header) or loaded by
 * one of them ('strict-dynamic'); never inline ones without it, never
 * eval outside `next dev` (React's dev tooling needs it there).
 *
 * Styles: `<style>` elements need the nonce too, but `style` attributes are
 * allowed (`style-src-attr 'unsafe-inline'`): React renders many
 * (`style={{ marginTop: 0 }}`) and recharts sizes its charts with them. An
 * injected attribute can restyle, not run code or read the page.
 */
export function pageCsp(nonce: string, options: { dev: boolean; tls: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.tls ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

/**
 * Whether this request reached the user over TLS, for HSTS (a browser
 * ignores HSTS over plain HTTP, but sending it only when true keeps the
 * answer honest). Two sources, both configured by the operator: the public
 * URL (`NEXTAUTH_URL`) is https, or a trusted proxy (`REKEY_TRUST_PROXY` ≥ 1,
 * the same setting as for client addresses) says `X-Forwarded-Proto: https`.
 * Without a trusted proxy, that header is anyone's to send and is ignored.
 */
export function servedOverTls(publicUrl: string | undefined, trustedHops: number, forwardedProto: string | null): boolean {
  if (publicUrl?.startsWith("https:")) return true;
  if (trustedHops < 1 || !forwardedProto) return false;
  // The nearest proxy appends last; with several protos, the last is the one our proxy saw.
  const nearest = forwardedProto.split(",").at(-1)?.trim().toLowerCase();
  return nearest === "https";
}
