// Rewrites the README's configuration tables and .env.example from lib/env.ts.
import { readFileSync, writeFileSync } from "node:fs";
import { envExample, withConfigTables } from "../lib/env-docs";

writeFileSync("README.md", withConfigTables(readFileSync("README.md", "utf8")));
writeFileSync(".env.example", envExample());
console.log("README.md (Configuration) and .env.example written from lib/env.ts");
