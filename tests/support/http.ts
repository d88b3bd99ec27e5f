import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { handleFastVerify } from "../../lib/http/fast-verify";
import { expectDocumented } from "./contract";
import { operationOf } from "./routes";

/**
 * Calls a Next.js route handler as the framework would. The answer of an
 * operation of the API is checked against the OpenAPI document
 * (./contract.ts): a status or body the document does not allow fails the test.
 */
export async function call(
  handler: (request: Request, ctx: { params: Promise<Record<string, string>> }) => Response | Promise<Response>,
  options: { method?: string; path?: string; body?: unknown; token?: string | null; params?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  const token = options.token === undefined ? process.env.REKEY_BOOTSTRAP_TOKEN : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const request = new Request(`http://localhost${options.path ?? "/"}`, {
    method: options.method ?? "POST",
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const response = await handler(request, { params: Promise.resolve(options.params ?? {}) });
  const text = await response.text();
  const contentType = response.headers.get("content-type");
  const json = text ? JSON.parse(text) : null;
  const operation = operationOf(handler);
  if (operation) expectDocumented(operation, response.status, contentType, json);
  return { status: response.status, headers: response.headers, json };
}

/**
 * Serves the verify fast path (lib/http/fast-verify.ts) on a free local port
 * for this test file, as `npm start` does before Next; returns a getter for
 * its base URL (set once the server listens).
 */
export function useFastVerifyServer(): () => string {
  let server: http.Server;
  let base = "";
  beforeAll(async () => {
    server = http.createServer((req, res) => handleFastVerify(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return () => base;
}
