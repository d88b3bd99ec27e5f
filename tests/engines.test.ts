import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

// package.json says which Node rekey needs ("engines"), and the README repeats it. A dependency that needs a newer
// Node makes that promise untrue (npm warns EBADENGINE on every install): this test reads the lockfile, so adding or
// upgrading one fails here, unless it is below with the reason it is harmless.
const ROOT = path.resolve(__dirname, "..");

/** Installed, asks for a newer Node, and never runs in rekey: each with why. */
const NEVER_RUN: Record<string, string> = {
  "node_modules/@prisma/streams-local":
    "Prisma's CLI (which supports ^20.19) brings it for `prisma dev`, its local Prisma Postgres; rekey never runs `prisma dev`, and no version supports Node 20",
};

type Lock = { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };

describe("the Node version rekey asks for", () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as Lock;
  const lowest = semver.minVersion(pkg.engines.node);

  it("is what the README says", () => {
    expect(lowest, pkg.engines.node).not.toBeNull();
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const stated = /You need Node\.js (\d+\.\d+) or newer/.exec(readme);
    expect(stated?.[1], "the README's quick start names the Node version").toBe(`${lowest!.major}.${lowest!.minor}`);
  });

  it("is enough for every dependency in the lockfile", () => {
    const tooNew: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      const node = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      if (!where || !node || where in NEVER_RUN) continue;
      if (!semver.satisfies(lowest!, node)) tooNew.push(`${where}@${entry.version} wants node ${node}`);
    }
    expect(tooNew, `these need more than ${pkg.engines.node}`).toEqual([]);
  });

  it("lists only exceptions that are still installed and still need a newer Node", () => {
    for (const where of Object.keys(NEVER_RUN)) {
      const entry = lock.packages[where];
      expect(entry, `${where} is no longer installed: drop it from NEVER_RUN`).toBeDefined();
      const node = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      expect(node && !semver.satisfies(lowest!, node), `${where} now supports ${pkg.engines.node}: drop it from NEVER_RUN`).toBe(true);
    }
  });
});
