import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { DomainError, PayloadTooLargeError } from "../errors";
import { verifyKey } from "../keys/verify";
import { log } from "../log";
import { presentedKey, verifyHeaders, VERIFY_BODY_LIMIT, TOO_LARGE_MESSAGE } from "./verify-endpoint";

/** The path answered here, before Next's routing, under `npm start`. */
export const FAST_VERIFY_PATH = "/api/v1/keys/verify";

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function fail(res: ServerResponse, error: unknown, req: IncomingMessage) {
  const headers = { "content-type": "application/json", "cache-control": "no-store" };
  if (error instanceof DomainError) {
    // The body may still be arriving: say so and close rather than read it.
    if (error instanceof PayloadTooLargeError) res.setHeader("connection", "close");
    return send(res, error.status, { error: { code: error.code, message: error.message, ...("field" in error && error.field ? { field: error.field } : {}) } }, headers);
  }
  log.error({ err: error, method: req.method, path: FAST_VERIFY_PATH }, "request failed");
  send(res, 500, { error: { code: "internal", message: "Something went wrong on our side. It has been logged." } }, headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"] ?? 0) > VERIFY_BODY_LIMIT) return reject(new PayloadTooLargeError(TOO_LARGE_MESSAGE));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > VERIFY_BODY_LIMIT) {
        req.removeAllListeners("data");
        req.pause();
        reject(new PayloadTooLargeError(TOO_LARGE_MESSAGE));
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * `POST /api/v1/keys/verify` straight on node:http: the same parsing,
 * answer and headers as the route handler (lib/http/verify-endpoint.ts), and
 * the same verifyKey, without the framework's routing, request objects and
 * response wrapping, which cost most of the endpoint's time.
 */
export async function handleFastVerify(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const authorization = req.headers.authorization;
    const body = /^Bearer\s+\S/i.test(authorization ?? "") ? "" : await readBody(req);
    const result = await verifyKey(presentedKey(authorization, () => body), new Date());
    send(res, 200, result, verifyHeaders(result));
  } catch (error) {
    fail(res, error, req);
  }
}
