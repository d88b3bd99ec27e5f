import { bodyLimit, jsonNoStore, managementHandler } from "@/lib/http/api-handler";
import { importKeys, MAX_FIRST_LINE, MAX_IMPORT_BATCH } from "@/lib/keys/import";
import { ValidationError } from "@/lib/errors";

/**
 * Imports up to 1,000 existing keys by the hashes an earlier system stored
 * (lib/keys/import.ts): one transaction, one outcome per line (imported,
 * unchanged, refused and why). `?dryRun=1` checks without writing.
 */
export const POST = managementHandler(
  async ({ request, readJson, actor, now }) => {
    const body = await readJson();
    const unknown = Object.keys(body).find((k) => k !== "keys" && k !== "firstLine");
    if (unknown) throw new ValidationError(`${unknown}: is not a field that can be set here (send { "keys": [...] })`, unknown);
    if (!Array.isArray(body.keys)) throw new ValidationError(`keys: must be an array of at most ${MAX_IMPORT_BATCH} keys`, "keys");
    const firstLine = body.firstLine === undefined ? 1 : body.firstLine;
    if (!Number.isInteger(firstLine) || (firstLine as number) < 1 || (firstLine as number) > MAX_FIRST_LINE)
      throw new ValidationError(
        `firstLine: must be a whole number from 1 to ${MAX_FIRST_LINE.toLocaleString("en-US")} (the line of the file the first key came from)`,
        "firstLine",
      );
    const dryRun = new URL(request.url).searchParams.get("dryRun") === "1";
    const result = await importKeys(body.keys, actor, now, { firstLine: firstLine as number, dryRun });
    return jsonNoStore(result, dryRun || result.imported === 0 ? 200 : 201);
  },
  bodyLimit(8 * 1024 * 1024),
);
