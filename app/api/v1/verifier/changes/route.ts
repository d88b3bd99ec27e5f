import { z } from "zod";
import { verifierHandler, jsonNoStore } from "@/lib/http/api-handler";
import { parseInput } from "@/lib/validation";
import { changesAfter } from "@/lib/keys/changes";

const changesQuerySchema = z.object({
  cursor: z.string().min(1, "is required").max(100, "is not a cursor"),
  wait: z.coerce.number("must be a number of seconds").int("must be whole seconds").min(0, "must be 0 to 25").max(25, "must be 0 to 25").default(20),
});

/**
 * The records that changed after `cursor`, with the next cursor; with none,
 * answers after up to `wait` seconds (a long poll). 410 when the cursor is
 * older than the stream keeps: load a new snapshot. docs/verifier-protocol.md
 */
export const GET = verifierHandler(async ({ request, now }) => {
  const url = new URL(request.url);
  const query = parseInput(changesQuerySchema, { cursor: url.searchParams.get("cursor") ?? undefined, wait: url.searchParams.get("wait") ?? undefined });
  return jsonNoStore(await changesAfter(query.cursor, query.wait * 1000, now));
});
