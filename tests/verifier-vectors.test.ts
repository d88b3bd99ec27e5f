import { describe, expect, it } from "vitest";
import vectors from "../packages/verifier/test-vectors.json";
import { Replica } from "../packages/verifier/src/replica";
import type { KeyFormat } from "../packages/verifier/src/format";

/**
 * The shared test vectors (packages/verifier/test-vectors.json) through the
 * Node verifier as a user runs it: the records arrive as a snapshot over
 * (fake) HTTP, and each case is asked at its own moment.
 */
describe("the shared verification test vectors", () => {
  it(`the Node verifier gives every expected answer (${vectors.cases.length} cases)`, async () => {
    let clock = Date.parse(vectors.cases[0].now);
    const snapshot = [
      { type: "snapshot", version: 1, cursor: "1.0.0", generatedAt: new Date(clock).toISOString() },
      ...vectors.records,
      { type: "end", count: vectors.records.length },
    ];
    const fetch = (async (input: RequestInfo | URL) => {
      const url = new URL(String(input));
      if (url.pathname.endsWith("/snapshot")) return new Response(`${snapshot.map((l) => JSON.stringify(l)).join("\n")}\n`);
      // No changes, ever: the stream answers after a short wait.
      await new Promise((r) => setTimeout(r, 50));
      return Response.json({ cursor: url.searchParams.get("cursor"), changes: [], reset: false, more: false });
    }) as typeof globalThis.fetch;
    // The window is as long as the vectors span: they test the rule, not staleness.
    // One replica with rekey's own key format, one per company format the vectors name.
    const replicaFor = (keyFormat?: KeyFormat) =>
      new Replica({
        url: "http://rekey.test",
        token: "t",
        hashingSecrets: vectors.hashing.secrets,
        fetch,
        now: () => clock,
        maxStalenessMs: 365 * 86_400_000,
        usageReportMs: 3_600_000,
        keyFormat,
      });
    const formats = vectors.formats as Record<string, KeyFormat>;
    const replicas = new Map<string | undefined, Replica>([
      [undefined, replicaFor()],
      ...Object.entries(formats).map(([name, f]) => [name, replicaFor(f)] as const),
    ]);
    for (const r of replicas.values()) await r.start();
    const mismatches: string[] = [];
    const cases = vectors.cases as { name: string; key: string; now: string; expect: unknown; format?: string }[];
    expect(cases.filter((c) => c.format).length).toBeGreaterThan(0);
    for (const c of cases) {
      clock = Date.parse(c.now);
      const got = replicas.get(c.format)!.verify(c.key);
      try {
        expect(got).toEqual(c.expect);
      } catch {
        mismatches.push(`${c.name}: got ${JSON.stringify(got)}, expected ${JSON.stringify(c.expect)}`);
      }
    }
    for (const r of replicas.values()) await r.close().catch(() => {});
    expect(mismatches).toEqual([]);
  });
});

describe("the Python reference verifier in the docs", () => {
  it("passes the same vectors (python3, standard library only)", async () => {
    const { spawnSync } = await import("node:child_process");
    const run = spawnSync("python3", ["docs/verifier.py", "packages/verifier/test-vectors.json"], { encoding: "utf8" });
    expect(run.error, "python3 is on every machine of this kind (PLATFORM.md)").toBeUndefined();
    expect(run.stdout).toContain(`${vectors.cases.length} of ${vectors.cases.length} cases pass`);
    expect(run.status).toBe(0);
  });
});
