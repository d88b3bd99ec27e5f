/**
 * The floor of bench:verify's fast-path figure: a plain node:http server
 * doing a verification's irreducible work — bearer or JSON body → HMAC-SHA-256
 * → map lookup → rekey's rule → JSON — over the same records, with nothing
 * else (no framework, no cache invalidation, no usage counting). Its answer
 * carries the same headers as rekey's (API_SECURITY_HEADERS: a product's
 * response is part of the work), so the ratio measures what rekey adds.
 * Usage: tsx bench/floor-server.ts <port> <records.ndjson> <hashing secret>
 */
import http from "node:http";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { decide, type VerificationRecord } from "../packages/verifier/src/rule";
import { isWellFormedApiKey } from "../packages/verifier/src/format";
import { API_CSP, PERMISSIONS_POLICY, REFERRER_POLICY } from "../lib/http/security-headers";

const [port, file, secret] = process.argv.slice(2);
const records = new Map<string, VerificationRecord>();
for (const line of readFileSync(file, "utf8").split("\n")) {
  if (!line) continue;
  const r = JSON.parse(line);
  if (r.hash) records.set(r.hash, r);
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const auth = req.headers.authorization;
      const key = auth?.startsWith("Bearer ") ? auth.slice(7) : (JSON.parse(Buffer.concat(chunks).toString() || "{}").key as string);
      const result = isWellFormedApiKey(key)
        ? decide(records.get(createHmac("sha256", secret).update(key).digest("hex")) ?? null, Date.now())
        : { valid: false, code: "malformed" };
      const body = JSON.stringify(result);
      res.writeHead(200, {
        "content-type": "application/json",
        "cache-control": "no-store",
        "content-length": Buffer.byteLength(body),
        "x-content-type-options": "nosniff",
        "content-security-policy": API_CSP,
        "x-frame-options": "DENY",
        "referrer-policy": REFERRER_POLICY,
        "permissions-policy": PERMISSIONS_POLICY,
      });
      res.end(body);
    });
  })
  .listen(Number(port), "127.0.0.1", () => console.log("ready"));
