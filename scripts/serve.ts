/**
 * The production server `npm start` runs: Next's request handler on
 * node:http, with one path answered before it — `POST /api/v1/keys/verify`
 * (lib/http/fast-verify.ts), the hot path of every request of the API
 * company, which needs none of the framework. Same port, same process, same
 * database handle (lib/db.ts keeps it on globalThis, so Next's bundled copy
 * of the module and this one share it). Where a platform runs `next start`
 * or its own runtime instead, the route handler answers the same path.
 */
import "./load-env";
import http from "node:http";
import next from "next";
import { FAST_VERIFY_PATH, handleFastVerify } from "../lib/http/fast-verify";
import { closeDatabase } from "../lib/db";
import { env } from "../lib/env";

const port = env("PORT");
const hostname = env("HOSTNAME");
const app = next({ dev: false, hostname, port, dir: process.cwd() });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((req, res) => {
  if (req.method === "POST" && (req.url === FAST_VERIFY_PATH || req.url?.startsWith(`${FAST_VERIFY_PATH}?`))) {
    handleFastVerify(req, res);
    return;
  }
  // As a proxy would: the connection's address goes last in X-Forwarded-For,
  // where lib/http/client-address.ts counts REKEY_TRUST_PROXY hops back from.
  const peer = req.socket.remoteAddress;
  if (peer) {
    const chain = req.headers["x-forwarded-for"];
    req.headers["x-forwarded-for"] = chain ? `${chain}, ${peer}` : peer;
  }
  void handle(req, res);
});
server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeouts
server.listen(port, hostname, () => console.log(`✓ Ready: rekey serving on ${hostname}:${port} (verify fast path on)`));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeIdleConnections();
    void closeDatabase().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
