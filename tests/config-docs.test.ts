import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { checkConfiguration, ConfigError, env, SETTINGS } from "../lib/env";
import { envExample, withConfigTables } from "../lib/env-docs";

// Every environment variable rekey reads is declared once, in lib/env.ts, and read through env(): a setting cannot
// exist only in the code, and the README's table and .env.example are written from the declarations.
const ROOT = path.resolve(__dirname, "..");
/** Set by the platform, not settings: Next.js inlines NODE_ENV at build time, so it is read as process.env.NODE_ENV. */
const PLATFORM = new Set(["NODE_ENV", "NEXT_RUNTIME", "CI"]);
const DECLARED = new Set(Object.keys(SETTINGS));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return name === "node_modules" || name === "generated" || name === "dist" ? [] : sourceFiles(file);
    return /\.(ts|tsx|mjs)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [file] : [];
  });
}
const files = () => [
  ...["lib", "app", "components", "scripts", "packages"].flatMap((d) => sourceFiles(path.join(ROOT, d))),
  path.join(ROOT, "proxy.ts"),
  path.join(ROOT, "next.config.ts"),
];

/** What a file reads from the environment other than through env(): `process.env.X`, `process.env[…]`. */
function directReads(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\s*\[)/g)) {
    const name = m[1];
    if (name && PLATFORM.has(name)) continue;
    found.push(name ?? "process.env[…]");
  }
  return found;
}

describe("configuration", () => {
  it("code reads the environment only through lib/env.ts, and only variables it declares", () => {
    const direct: string[] = [];
    const undeclared: string[] = [];
    for (const file of files()) {
      const rel = path.relative(ROOT, file);
      if (rel === "lib/env.ts") continue;
      const text = readFileSync(file, "utf8");
      direct.push(...directReads(text).map((r) => `${rel}: ${r}`));
      // env("X") and isSet("X") are typed, but a cast could get past the compiler; and any REKEY_* name the code
      // spells (a message, a lookup table) must be a declared setting too.
      for (const m of text.matchAll(/\b(?:env|isSet)\(\s*"([A-Z][A-Z0-9_]*)"/g)) if (!DECLARED.has(m[1])) undeclared.push(`${rel}: ${m[1]}`);
      for (const m of text.matchAll(/\b(REKEY_[A-Z0-9_]*[A-Z0-9])\b/g)) if (!DECLARED.has(m[1])) undeclared.push(`${rel}: ${m[1]}`);
    }
    expect(direct, "process.env read outside lib/env.ts (use env() from lib/env.ts)").toEqual([]);
    expect([...new Set(undeclared)], "variables lib/env.ts does not declare").toEqual([]);
  });

  it("the scan would catch a direct read", () => {
    expect(directReads('const url = process.env.REKEY_NEW_THING ?? "x";')).toEqual(["REKEY_NEW_THING"]);
    expect(directReads("const v = process.env[name];")).toEqual(["process.env[…]"]);
    expect(directReads('if (process.env.NODE_ENV === "test") {}')).toEqual([]);
    expect(directReads("export function f(source = process.env) {}")).toEqual([]);
  });

  it("the README's tables and .env.example are what lib/env.ts writes (npm run config:docs)", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(withConfigTables(readme) === readme, "README.md's configuration is out of date: run npm run config:docs").toBe(true);
    expect(readFileSync(path.join(ROOT, ".env.example"), "utf8")).toBe(envExample());
    for (const name of DECLARED) {
      expect(readme).toContain(`| \`${name}\` |`);
      expect(envExample()).toMatch(new RegExp(`^# ${name}=`, "m"));
    }
  });

  it("a value that does not parse is refused with the variable's name, and a secret's value is not echoed", () => {
    expect(() => env("REKEY_DB_POOL", { REKEY_DB_POOL: "ten" })).toThrow('REKEY_DB_POOL must be a whole number from 1 to 1000 (it is "ten").');
    expect(() => env("REKEY_DB_POOL", { REKEY_DB_POOL: "0" })).toThrow(ConfigError);
    expect(() => env("SMTP_URL", { SMTP_URL: "mail.example.com:25" })).toThrow(/^SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL\.$/);
    expect(() => env("DATABASE_URL", { DATABASE_URL: "mysql://u:hunter2@db/x" })).toThrow(/^DATABASE_URL must be a postgresql:\/\/ URL\.$/);
    expect(() => env("REKEY_CRON", { REKEY_CRON: "no" })).toThrow('REKEY_CRON must be on or off (it is "no").');
    expect(() => env("REKEY_WEBHOOKS_ALLOW_PRIVATE", { REKEY_WEBHOOKS_ALLOW_PRIVATE: "yes" })).toThrow(/must be 1 or 0/);
    const problems = checkConfiguration({ PORT: "http", LOG_LEVEL: "loud", REKEY_ADMIN_EMAIL: "admin" });
    expect(problems.map((p) => p.variable).sort()).toEqual(["LOG_LEVEL", "PORT", "REKEY_ADMIN_EMAIL"]);
  });

  it("defaults apply when a variable is unset or empty, and values are typed", () => {
    expect(env("REKEY_DB_POOL", {})).toBe(10);
    expect(env("REKEY_DB_POOL", { REKEY_DB_POOL: "" })).toBe(10);
    expect(env("REKEY_DB_POOL", { REKEY_DB_POOL: "25" })).toBe(25);
    expect(env("REKEY_SKIP_BUILD", { REKEY_SKIP_BUILD: "1" })).toBe(true);
    expect(env("NEXTAUTH_SECRET_PREVIOUS", { NEXTAUTH_SECRET_PREVIOUS: "a, b c" })).toEqual(["a", "b", "c"]);
    expect(env("REKEY_CHECKPOINT_KEY", { REKEY_CHECKPOINT_KEY: "-----BEGIN\\nX" })).toBe("-----BEGIN\nX");
    expect(env("DATABASE_URL", {})).toBeUndefined();
    expect(checkConfiguration({})).toEqual([]);
  });

  it("process.env is read as it is now, not as it was when first read (tests and operators change it)", () => {
    const before = process.env.REKEY_BACKUP_KEEP;
    try {
      process.env.REKEY_BACKUP_KEEP = "3";
      expect(env("REKEY_BACKUP_KEEP")).toBe(3);
      process.env.REKEY_BACKUP_KEEP = "4";
      expect(env("REKEY_BACKUP_KEEP")).toBe(4);
    } finally {
      if (before === undefined) delete process.env.REKEY_BACKUP_KEEP;
      else process.env.REKEY_BACKUP_KEEP = before;
    }
  });
});
