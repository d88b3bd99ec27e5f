import { publicHandler } from "@/lib/http/api-handler";
import { listCheckpointKeys } from "@/lib/audit/checkpoints";

/** The public keys that sign audit checkpoints here (also at /.well-known/rekey-checkpoint-keys.json): what an auditor pins. */
export const GET = publicHandler(async () => {
  return Response.json({ keys: await listCheckpointKeys() }, { headers: { "cache-control": "no-store" } });
});
