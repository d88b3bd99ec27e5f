import { publicHandler } from "@/lib/http/api-handler";
import { listCheckpoints } from "@/lib/audit/checkpoints";

/**
 * The signed checkpoints of the audit chain, newest first (docs/audit-chain.md).
 * Public on purpose: a checkpoint holds a sequence number, a hash and a
 * signature, no secret, and its worth is in copies kept outside rekey.
 */
export const GET = publicHandler(async () => {
  return Response.json({ checkpoints: await listCheckpoints(100) }, { headers: { "cache-control": "no-store" } });
});
