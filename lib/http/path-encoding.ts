import "server-only";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ValidationError } from "../errors";
import { BAD_PATH_MESSAGE, describeError } from "./api-handler";

/**
 * Whether an API request's path is not valid percent-encoding (`%E0%A4%A`,
 * `%ZZ`). Next 16 decodes a dynamic route's parameters before the handler
 * runs and answers a failure with a bare 500 (its DecodeError is caught by
 * class, and the route bundle's class is another copy), so the server that
 * fronts Next checks first. Only /api/ paths: pages keep Next's own answer.
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

/** The 400 for such a path, in the API's error shape. */
export function answerUndecodablePath(req: IncomingMessage, res: ServerResponse): void {
  const { status, body, headers } = describeError(new ValidationError(BAD_PATH_MESSAGE), req.method, "(undecodable path)");
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(text) });
  res.end(text);
}
