import { bodyLimit, jsonNoStore, managementHandler } from "@/lib/http/api-handler";
import { importKeys } from "@/lib/keys/import";
import { importRequestSchema } from "@/lib/keys/import-schemas";

/**
 * Imports up to 1,000 existing keys by the hashes an earlier system stored
 * (lib/keys/import.ts): one transaction, one outcome per line (imported,
 * unchanged, refused and why). `?dryRun=1` checks without writing.
 */
export const POST = managementHandler({ body: importRequestSchema, limit: bodyLimit(8 * 1024 * 1024) }, async ({ request, body, actor, now }) => {
  const dryRun = new URL(request.url).searchParams.get("dryRun") === "1";
  const result = await importKeys(body.keys, { actor, now }, { firstLine: body.firstLine, dryRun });
  return jsonNoStore(result, dryRun || result.imported === 0 ? 200 : 201);
});
