import { describe, expect, it } from "vitest";
import { API_SECURITY_HEADERS, pageCsp, servedOverTls } from "../lib/http/security-headers";

describe("security headers", () => {
  it("a page's CSP allows scripts only by this nonce, eval only in development", () => {
    const csp = pageCsp("abc123", { dev: false, tls: false });
    expect(csp).toContain("script-src 'self' 'nonce-abc123' 'strict-dynamic';");
    expect(csp).not.toMatch(/unsafe-inline'[^;]*;.*script|script-src[^;]*unsafe/);
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(pageCsp("n", { dev: true, tls: true })).toMatch(/script-src [^;]*'unsafe-eval'.*upgrade-insecure-requests$/);
  });

  it("HSTS only for an https public URL or a trusted proxy's https", () => {
    expect(servedOverTls("https://rekey.example.com", 0, null)).toBe(true);
    expect(servedOverTls("http://localhost:3000", 0, "https")).toBe(false); // anyone can send the header
    expect(servedOverTls(undefined, 1, "https")).toBe(true);
    expect(servedOverTls(undefined, 1, "https, http")).toBe(false); // the nearest proxy saw http
    expect(servedOverTls(undefined, 1, "http")).toBe(false);
  });

  it("API answers render nothing and are never framed", () => {
    expect(API_SECURITY_HEADERS).toMatchObject({
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
    });
  });
});
