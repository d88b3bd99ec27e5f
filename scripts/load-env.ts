// Imported first by every script: reads ./.env when there is one (Next.js reads it for the server itself).
import { existsSync } from "node:fs";

if (existsSync(".env")) process.loadEnvFile(".env");
