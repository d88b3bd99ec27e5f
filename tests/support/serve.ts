import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll } from "vitest";
import type { Handler } from "./routes";

/**
 * Serves route handlers over HTTP as Next would (a request in, the handler's
 * response out), for a test that runs a command-line tool against rekey:
 * `routes` maps a path ("/api/v1/keys/{id}" style parameters are not
 * matched) and a method to its handler. Returns the base URL, set once the
 * server listens.
 */
export function serveRoutes(routes: Record<string, Record<string, Handler>>): { base: string } {
  const served = { base: "" };
  let server: http.Server;
  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const url = new URL(req.url!, "http://127.0.0.1");
      const handler = routes[url.pathname]?.[req.method!];
      if (!handler) return void res.writeHead(404).end();
      const request = new Request(url, {
        method: req.method,
        headers: req.headers as Record<string, string>,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const response = await handler(request, { params: Promise.resolve({}) });
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    served.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  return served;
}
