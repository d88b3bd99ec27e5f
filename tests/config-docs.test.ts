import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

// Every environment variable the code reads is named in the README's configuration table and in .env.example, so a
// setting cannot exist only in the code. Variables the platform sets (NODE_ENV, NEXT_RUNTIME) are not settings.
const ROOT = path.resolve(__dirname, "..");
const NOT_SETTINGS = new Set(["NODE_ENV", "NEXT_RUNTIME", "CI"]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === "node_modules" || name === "generated" || name === "dist" ? [] : sourceFiles(file);
    return /\.(ts|tsx|mjs)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [file] : [];
  });
}

describe("configuration", () => {
  it("every variable the code reads is documented in the README's table and in .env.example", () => {
    const files = [
      ...["lib", "app", "scripts", "packages"].flatMap((d) => sourceFiles(path.join(ROOT, d))),
      path.join(ROOT, "proxy.ts"),
      path.join(ROOT, "next.config.ts"),
    ];
    const read = new Set<string>();
    // process.env.X, an env parameter's env.X, and any REKEY_* name the code spells (in a lookup table, a helper's argument, a message).
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\b(?:process\.)?env\.([A-Z][A-Z0-9_]*)/g)) read.add(m[1]);
      for (const m of text.matchAll(/\b(REKEY_[A-Z0-9_]*[A-Z0-9])\b/g)) read.add(m[1]);
    }
    // The one dynamic read (lib/http/bearer.ts) is given names from its callers, which are literal strings.
    for (const file of files) for (const m of readFileSync(file, "utf8").matchAll(/requireEnvSecret\([^,]+,\s*"([A-Z0-9_]+)"/g)) read.add(m[1]);
    expect(read.size).toBeGreaterThan(30);
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const config = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Architecture in a few lines"));
    const example = readFileSync(path.join(ROOT, ".env.example"), "utf8");
    const undocumented = [...read].filter((v) => !NOT_SETTINGS.has(v)).filter((v) => !new RegExp(`\`${v}(=[^\`]*)?\``).test(config));
    const notInExample = [...read].filter((v) => !NOT_SETTINGS.has(v)).filter((v) => !new RegExp(`^#? ?${v}=`, "m").test(example));
    expect(undocumented, "read by the code, missing from README's Configuration").toEqual([]);
    expect(notInExample, "read by the code, missing from .env.example").toEqual([]);
  });
});
