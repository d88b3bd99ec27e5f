import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { PayloadTooLargeError } from "../errors";
import { verifyKey, verifyKeyFromCache } from "../keys/verify";
import { describeError } from "./api-handler";
import { deprecationHeaders, keyInHeader, presentedKey, VERIFY_BODY_LIMIT, TOO_LARGE_MESSAGE } from "./verify-endpoint";
import type { VerifyResult } from "../keys/verify";
import { API_CSP, API_SECURITY_HEADERS, PERMISSIONS_POLICY, REFERRER_POLICY } from "./security-headers";

/** The path answered here, before Next's routing, under `npm start`. */
export const FAST_VERIFY_PATH = "/api/v1/keys/verify";

/**
 * A verify answer. Headers as a plain literal with a numeric length: building
 * them by spreading cost a tenth of the throughput. The security headers are
 * next.config.ts's API set (which Next adds on every other route), written
 * out here as constant strings for the same reason.
 */
function sendResult(res: ServerResponse, result: VerifyResult) {
  const text = JSON.stringify(result);
  const deprecation = deprecationHeaders(result);
  if (deprecation) {
    res.writeHead(200, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(text),
      deprecation: deprecation.deprecation,
      sunset: deprecation.sunset,
      "x-content-type-options": "nosniff",
      "content-security-policy": API_CSP,
      "x-frame-options": "DENY",
      "referrer-policy": REFERRER_POLICY,
      "permissions-policy": PERMISSIONS_POLICY,
    });
  } else
    res.writeHead(200, {
      "content-type": "application/json",
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(text),
      "x-content-type-options": "nosniff",
      "content-security-policy": API_CSP,
      "x-frame-options": "DENY",
      "referrer-policy": REFERRER_POLICY,
      "permissions-policy": PERMISSIONS_POLICY,
    });
  res.end(text);
}

function fail(res: ServerResponse, error: unknown, req: IncomingMessage) {
  const { status, body, headers } = describeError(error, req.method, FAST_VERIFY_PATH);
  // The body may still be arriving: say so and close rather than read it.
  if (error instanceof PayloadTooLargeError) headers.connection = "close";
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, ...API_SECURITY_HEADERS, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * `POST /api/v1/keys/verify` straight on node:http: the same parsing,
 * answer and headers as the route handler (lib/http/verify-endpoint.ts), and
 * the same verification, without the framework's routing, request objects
 * and response wrapping, which cost most of the endpoint's time. Written with
 * callbacks and a synchronous cache hit (under Next every promise is tracked
 * by its AsyncLocalStorage), and with as few allocations as it takes: this
 * is the one path where microseconds add up (bench:verify).
 */
export function handleFastVerify(req: IncomingMessage, res: ServerResponse): void {
  const authorization = req.headers.authorization;
  if (authorization !== undefined && keyInHeader(authorization)) return respond(req, res, authorization, "");
  if (Number(req.headers["content-length"] ?? 0) > VERIFY_BODY_LIMIT) return tooLarge(req, res);
  // Raw chunks, decoded once at the end (a key's body is one chunk): cheaper than a decoding stream.
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > VERIFY_BODY_LIMIT) {
      if (!res.headersSent) tooLarge(req, res);
      return;
    }
    if (!first) first = chunk;
    else (more ??= [first]).push(chunk);
  });
  req.on("end", () => {
    if (size <= VERIFY_BODY_LIMIT) respond(req, res, authorization, more ? Buffer.concat(more).toString("utf8") : first ? first.toString("utf8") : "");
  });
  // A client that goes away mid-body: nothing to answer, and nothing to crash over.
  req.on("error", () => {});
}

function tooLarge(req: IncomingMessage, res: ServerResponse) {
  req.removeAllListeners("data");
  req.pause();
  fail(res, new PayloadTooLargeError(TOO_LARGE_MESSAGE), req);
}

function respond(req: IncomingMessage, res: ServerResponse, authorization: string | undefined, body: string) {
  try {
    const key = presentedKey(authorization, () => body);
    const now = new Date();
    const quick = verifyKeyFromCache(key, now);
    if (quick) return sendResult(res, quick);
    verifyKey(key, now).then(
      (result) => sendResult(res, result),
      (error) => fail(res, error, req),
    );
  } catch (error) {
    fail(res, error, req);
  }
}
