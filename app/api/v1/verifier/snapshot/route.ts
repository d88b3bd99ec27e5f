import { verifierHandler } from "@/lib/http/api-handler";
import { snapshotLines } from "@/lib/keys/changes";
import { assertServing } from "@/lib/backup/gate";

/**
 * Every key's verification record (keyed hash and metadata, never a key), as
 * NDJSON, streamed page by page: what an in-process verifier loads before it
 * follows /api/v1/verifier/changes from the header's cursor.
 * docs/verifier-protocol.md
 */
export const GET = verifierHandler(async ({ now }) => {
  await assertServing(); // not while a restore re-applies revocations: before the 200 and the first line
  const lines = snapshotLines(now);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-store" } });
});
