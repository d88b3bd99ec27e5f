import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import bcrypt from "bcryptjs";
import { useTestDatabase } from "./support/database";
import { serveRoutes } from "./support/serve";
import { POST as importRoute } from "../app/api/v1/keys/import/route";
import { GET as listKeys } from "../app/api/v1/keys/route";
import { generatedClientSchema } from "../packages/client/generate";
import { createRekeyClient } from "../packages/client/src";
import { verifyKey } from "../lib/keys/verify";

useTestDatabase();

/** The management routes this file calls, served over HTTP. */
const served = serveRoutes({
  "/api/v1/keys/import": { POST: importRoute },
  "/api/v1/keys": { GET: listKeys },
});

/** Runs `npm run keys:import -- …` as a person would, against the server above. */
function importCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.resolve("node_modules/.bin/tsx");
  return new Promise((resolve) => {
    execFile(
      tsx,
      ["scripts/keys-import.ts", ...args, "--url", served.base],
      { env: { ...process.env, REKEY_TOKEN: process.env.REKEY_BOOTSTRAP_TOKEN } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("the generated client (packages/client)", () => {
  it("is generated from the OpenAPI document as it is now (npm run client:generate)", async () => {
    expect(
      readFileSync("packages/client/src/schema.ts", "utf8") === (await generatedClientSchema()),
      "packages/client/src/schema.ts is stale: run npm run client:generate",
    ).toBe(true);
  });

  it("calls the management API with its token, typed", async () => {
    const rekey = createRekeyClient({ baseUrl: served.base, token: process.env.REKEY_BOOTSTRAP_TOKEN! });
    const { data, error } = await rekey.GET("/api/v1/keys", { params: { query: { limit: 1 } } });
    expect(error).toBeUndefined();
    expect(data).toMatchObject({ keys: expect.any(Array) });
    const anonymous = createRekeyClient({ baseUrl: served.base, token: "rkm_mgmt_not-a-token" });
    const refused = await anonymous.GET("/api/v1/keys", {});
    expect(refused.response.status).toBe(401);
    expect(refused.error).toMatchObject({ error: { code: "unauthorized" } });
  });
});

describe("npm run keys:import", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "rekey-import-"));
  const key = () => `old_live_${randomBytes(20).toString("base64url")}`;

  it("imports a CSV file through the API, reports each refused line by its file line, and a re-run changes nothing", async () => {
    const [a, b] = [key(), key()];
    const org = `cus_cli_${randomBytes(3).toString("hex")}`;
    const csv = [
      "organization_external_id,organization_name,name,environment,prefix,hash_algorithm,hash,scopes,rate_limit,created_at,last_used_at,metadata",
      `${org},CLI Org ${org},billing,live,${a.slice(0, 14)},sha256,${createHash("sha256").update(a).digest("hex")},read:orders write:orders,600,2025-01-10T00:00:00Z,2026-11-30T00:00:00Z,"{""tier"":""gold""}"`,
      `${org},,reports,live,${b.slice(0, 14)},bcrypt,${bcrypt.hashSync(b, 4)},read:orders,,2025-06-01T00:00:00Z,,`,
      `${org},,broken,live,${key().slice(0, 14)},bcrypt,not-a-hash,,,2025-06-01T00:00:00Z,,`,
    ].join("\n");
    const file = path.join(dir, "keys.csv");
    writeFileSync(file, csv);

    const dry = await importCli(file, "--dry-run");
    expect(dry.stdout).toContain("dry run (nothing written): would import 2, unchanged 0, refused 1");
    expect(await verifyKey(a, new Date())).toEqual({ valid: false, code: "malformed" });

    const first = await importCli(file);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toMatch(/^line 4: refused: hash\.value: a bcrypt hash looks like/m);
    expect(first.stdout).toContain("imported 2, unchanged 0, refused 1; organizations created: 1");
    expect(await verifyKey(a, new Date())).toMatchObject({
      valid: true,
      organizationExternalId: org,
      metadata: { tier: "gold" },
      scopes: ["read:orders", "write:orders"],
    });
    expect(await verifyKey(b, new Date())).toMatchObject({ valid: true });

    const again = await importCli(file);
    expect(again.stdout).toContain("imported 0, unchanged 2, refused 1; organizations created: 0");
  });

  it("reads JSON Lines, refuses a line that is not JSON without sending it, and exits 0 when nothing is refused", async () => {
    const c = key();
    const good = JSON.stringify({
      organization: { externalId: `cus_jsonl_${randomBytes(3).toString("hex")}` },
      name: "jsonl",
      prefix: c.slice(0, 14),
      hash: { algorithm: "sha256", value: createHash("sha256").update(c).digest("base64") },
      createdAt: "2024-02-02T00:00:00Z",
    });
    const file = path.join(dir, "keys.jsonl");
    writeFileSync(file, `${good}\n{not json\n`);
    const run = await importCli(file, "--verbose");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^line 1: imported: old_live_/m);
    expect(run.stdout).toMatch(/^line 2: refused: not a JSON object/m);
    writeFileSync(file, `${good}\n`);
    const clean = await importCli(file);
    expect(clean).toMatchObject({ code: 0 });
    expect(clean.stdout).toContain("imported 0, unchanged 1, refused 0");
    const noToken = await new Promise<number>((resolve) =>
      execFile(
        path.resolve("node_modules/.bin/tsx"),
        ["scripts/keys-import.ts", file, "--url", served.base],
        { env: { ...process.env, REKEY_TOKEN: "", REKEY_BOOTSTRAP_TOKEN: "" } },
        (e) => resolve(e && typeof e.code === "number" ? e.code : 0),
      ),
    );
    expect(noToken).toBe(2);
  });
});
