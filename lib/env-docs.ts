import { settingDocs } from "./env";

/**
 * The README's configuration tables and `.env.example`, written from the
 * declarations in lib/env.ts, so a setting is documented once.
 * `npm run config:docs` rewrites both; tests/config-docs.test.ts fails when
 * either differs from what this makes.
 */

export const README_START = "<!-- config:start (generated from lib/env.ts by npm run config:docs; edit there) -->";
export const README_END = "<!-- config:end -->";

function described(doc: string, byDefault: string | undefined): string {
  return byDefault === undefined ? doc : `${doc} Default \`${byDefault}\`.`;
}

function grouped() {
  const groups = new Map<string, ReturnType<typeof settingDocs>>();
  for (const s of settingDocs()) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  return groups;
}

/** The tables between the README's markers. */
export function readmeConfigTables(): string {
  const out: string[] = [];
  for (const [group, settings] of grouped()) {
    out.push(`**${group}**`, "", "| variable | meaning |", "| --- | --- |");
    for (const s of settings) out.push(`| \`${s.name}\` | ${described(s.doc, s.default).replaceAll("|", "\\|")} |`);
    out.push("");
  }
  return out.join("\n").trimEnd();
}

/** The README with its tables replaced by the generated ones. */
export function withConfigTables(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} section.`);
  return `${readme.slice(0, start + README_START.length)}\n\n${readmeConfigTables()}\n\n${readme.slice(end)}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `.env.example`: every setting, commented out, with its meaning. */
export function envExample(): string {
  const out = [
    "# rekey's settings, generated from lib/env.ts (npm run config:docs; edit there). Copy to .env or set them in",
    "# the environment. Every one is optional for the quick start, which runs on the embedded database in ./data.",
  ];
  for (const [group, settings] of grouped()) {
    out.push("", `# ── ${group}`);
    for (const s of settings) {
      out.push(...wrap(described(s.doc, s.default), 112).map((l) => `# ${l}`));
      out.push(`# ${s.name}=${s.example ?? ""}`);
    }
  }
  return `${out.join("\n")}\n`;
}
