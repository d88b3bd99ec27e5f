import "server-only";
import { createHash } from "node:crypto";
import { getPrisma } from "../db";
import { ConflictError, ValidationError } from "../errors";

/**
 * `Idempotency-Key` on the management API's POSTs (the IETF draft's header,
 * as Stripe uses it): per caller (management token or bootstrap), the first
 * request with a key is carried out and its answer stored; a retry with the
 * same key and the same request gets that answer again (`Idempotent-Replayed:
 * true`), and the same key with another request is a 409.
 *
 * Claim, then complete: the claim is a row inserted under the table's primary
 * key (caller, key) in its own committed statement, so of twenty concurrent
 * retries exactly one inserts it and carries the request out; the others wait
 * for its answer (up to WAIT_MS) and replay it, or get a 409 saying it is
 * still under way. A request that fails (any error: its transaction rolled
 * back, nothing changed) releases its claim, so a corrected retry may use the
 * key again. A process that dies between the change and storing its answer
 * leaves the claim open: that key then answers 409 for good, never a second
 * effect (retry with a new key after checking the state).
 *
 * A response that shows a full key (`key`, `successorKey`) or a signing secret (`secret`) is stored without
 * it: a key is shown once and never stored (DOMAIN.md), so a replay says what
 * was done but cannot show the key again.
 */
const WAIT_MS = 10_000;
const POLL_MS = 50;
const SECRET_FIELDS = ["key", "successorKey", "secret"];
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export async function withIdempotency(
  actor: string,
  idempotencyKey: string,
  request: Request,
  body: string,
  now: Date,
  run: () => Promise<Response>,
): Promise<Response> {
  if (!IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
    throw new ValidationError("Idempotency-Key: must be 1 to 255 printable ASCII characters without spaces, such as a UUID", "Idempotency-Key");
  }
  const requestHash = createHash("sha256")
    .update(`${request.method} ${new URL(request.url).pathname}\n${body}`)
    .digest("hex");
  const prisma = await getPrisma();
  const claimed = await prisma.$executeRaw`
    INSERT INTO idempotency_keys (actor, key, "requestHash", "createdAt") VALUES (${actor}, ${idempotencyKey}, ${requestHash}, ${now})
    ON CONFLICT DO NOTHING`;
  if (claimed === 0) return replay(actor, idempotencyKey, requestHash);
  let response: Response;
  try {
    response = await run();
  } catch (error) {
    await prisma.idempotencyKey.deleteMany({ where: { actor, key: idempotencyKey, status: null } });
    throw error;
  }
  const text = await response.clone().text();
  let stored: unknown = null;
  try {
    stored = text ? JSON.parse(text) : null;
  } catch {
    stored = null;
  }
  if (stored && typeof stored === "object" && !Array.isArray(stored)) {
    stored = Object.fromEntries(Object.entries(stored).filter(([field]) => !SECRET_FIELDS.includes(field)));
  }
  await prisma.idempotencyKey.update({
    where: { actor_key: { actor, key: idempotencyKey } },
    data: { status: response.status, response: (stored ?? null) as never },
  });
  return response;
}

async function replay(actor: string, key: string, requestHash: string): Promise<Response> {
  const prisma = await getPrisma();
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const row = await prisma.idempotencyKey.findUnique({ where: { actor_key: { actor, key } } });
    // Released by a failed first request a moment ago: this retry is a new first request.
    if (!row) throw new ConflictError("Idempotency-Key: the first request with this key failed just now; send the request again.");
    if (row.requestHash !== requestHash) {
      throw new ConflictError("Idempotency-Key: this key was already used for a different request (another path or body); use a new key for a new request.");
    }
    if (row.status !== null) {
      return Response.json(row.response, { status: row.status, headers: { "cache-control": "no-store", "idempotent-replayed": "true" } });
    }
    if (Date.now() >= deadline) {
      throw new ConflictError(
        "Idempotency-Key: the first request with this key is still under way (or was interrupted); check the state before retrying with a new key.",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
