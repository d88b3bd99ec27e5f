/**
 * `npm run client:generate`: writes packages/client/src/schema.ts, the
 * TypeScript types of the management API, from the OpenAPI document the app
 * serves (lib/http/openapi.ts), with openapi-typescript. A test
 * (tests/api-client.test.ts) fails when the file and the document disagree,
 * so a change to the API regenerates the client in the same commit.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { generatedClientSchema } from "../packages/client/generate";

const out = path.resolve(import.meta.dirname, "../packages/client/src/schema.ts");
writeFileSync(out, await generatedClientSchema());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
