/**
 * One measurement of bench:verify, in a process of its own so its memory is
 * the replica's: loads a snapshot from <url> with the in-process verifier and
 * prints the time until it serves and the memory it holds (after a full GC).
 * Usage: node --expose-gc --import tsx bench/replica-load.ts <url> <hashing secret>
 */
import { Replica } from "../packages/verifier/src/replica";

const [url, secret] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc!;
gc();
const before = process.memoryUsage();
const start = performance.now();
const replica = new Replica({ url, token: "bench", hashingSecret: secret, maxStalenessMs: 3_600_000, usageReportMs: 3_600_000, waitSeconds: 1 });
await replica.start();
const loadMs = performance.now() - start;
gc();
const after = process.memoryUsage();
console.log(
  JSON.stringify({
    records: replica.status().records,
    loadMs: Math.round(loadMs),
    heapMB: Math.round((after.heapUsed - before.heapUsed) / 1e5) / 10,
    rssMB: Math.round((after.rss - before.rss) / 1e5) / 10,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1e2) / 10,
  }),
);
process.exit(0);
