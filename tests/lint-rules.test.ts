import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

// The layering rules of biome.json (lib/ never imports app/, components/ never touch the database) are checked by
// `npm run lint` in CI. Here they are tried: a file that breaks each is linted with the project's own configuration.
const ROOT = path.resolve(__dirname, "..");
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");

function lint(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "rekey-lint-"));
  try {
    const config = JSON.parse(readFileSync(path.join(ROOT, "biome.json"), "utf8"));
    config.$schema = undefined;
    config.vcs = { enabled: false }; // a bare folder, not a checkout
    writeFileSync(path.join(dir, "biome.json"), JSON.stringify(config));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    try {
      execFileSync(BIOME, ["lint", "--reporter=github", "."], { cwd: dir, encoding: "utf8", stdio: "pipe" });
      return "";
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("layering rules", () => {
  it("refuses lib/ importing app/, by alias or relative path", () => {
    const out = lint({
      "lib/a.ts": 'import { x } from "@/app/page";\nexport const a = x;\n',
      "lib/keys/b.ts": 'import { y } from "../../app/api/v1/route";\nexport const b = y;\n',
    });
    expect(out).toMatch(/file=[^,]*lib\/a\.ts,.*never imports app/);
    expect(out).toMatch(/file=[^,]*lib\/keys\/b\.ts,.*never imports app/);
  });

  it("refuses components/ importing the database", () => {
    const out = lint({
      "components/c.tsx": 'import { getPrisma } from "@/lib/db";\nexport const c = getPrisma;\n',
      "components/d.tsx": 'import { Pool } from "pg";\nexport const d = Pool;\n',
    });
    expect(out).toMatch(/file=[^,]*components\/c\.tsx,.*database is read in lib/);
    expect(out).toMatch(/file=[^,]*components\/d\.tsx,.*database is read in lib/);
  });

  it("lets lib/ import lib/ and components/ import lib's server-action types", () => {
    const out = lint({
      "lib/e.ts": 'import { f } from "./f";\nexport const e = f;\n',
      "components/g.tsx": 'import type { ActionResult } from "@/lib/http/server-action";\nexport type G = ActionResult<unknown>;\n',
    });
    expect(out).not.toMatch(/noRestrictedImports/);
  });
});
