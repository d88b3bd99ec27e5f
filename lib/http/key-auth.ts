import "server-only";
import { UnauthorizedError } from "../errors";
import { parseSecret } from "../keys/format";
import { findVerificationRecord, type VerificationRecord } from "../keys/records";
import { type ApiContext, withQuota } from "./api-handler";
import { bearer } from "./bearer";
import { clientAddress, createRateLimit, type RateLimit } from "./rate-limit";

/** Shared by every route a key authenticates itself to: guessing keys at one of them counts at all of them. */
const failuresPerAddress = createRateLimit({ name: "rotate:failed", points: 10, durationSeconds: 900 });

export interface KeyRouteLimits {
  /** Requests from one address, whatever key they carry: counted first, and its standing is on every answer. */
  perAddress: RateLimit;
  /** Requests of one key, counted once the key is known to be that key. */
  perKey: RateLimit;
  /** What the 429s call the requests: "self-rotation requests". */
  what: string;
}

/**
 * A route the customer's own key authenticates itself to (`Authorization:
 * Bearer rk_…`): self-rotation, the key's standing, the agent's delivery
 * report. The per-key limit counts by the key's id, and only once the
 * presented key is known to be that key: keyed by the visible prefix, anyone
 * who saw a prefix in an email could spend a key's limit with forged keys and
 * lock it out. A key that is not a known key counts as a failure of the
 * caller's address instead (10 in 15 minutes, then 429 before any lookup).
 */
export function withPresentedKey(
  ctx: ApiContext,
  limits: KeyRouteLimits,
  run: (presented: string, record: VerificationRecord) => Promise<Response>,
): Promise<Response> {
  const { request, now } = ctx;
  const presented = bearer(request) ?? "";
  const address = clientAddress(request);
  return withQuota(
    () => limits.perAddress.take(address, `${limits.what} from this address`, now),
    ctx,
    async () => {
      await failuresPerAddress.check(address, `failed ${limits.what} from this address`, now);
      try {
        if (parseSecret(presented)?.kind !== "rk") throw new UnauthorizedError("Send the API key as Authorization: Bearer rk_….");
        const record = await findVerificationRecord(presented);
        if (!record) throw new UnauthorizedError("This key is not known.");
        await limits.perKey.take(record.keyId, `${limits.what} for this key`, now);
        return await run(presented, record);
      } catch (error) {
        if (error instanceof UnauthorizedError) await failuresPerAddress.record(address, now);
        throw error;
      }
    },
  );
}
