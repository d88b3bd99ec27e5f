import "server-only";
import { createHmac } from "node:crypto";
import { getServerSecret } from "../secret";

/** The keyed hash (HMAC-SHA-256 under the server secret, hex) by which keys and tokens are stored and looked up. */
export function hashSecret(secret: string): string {
  return createHmac("sha256", getServerSecret()).update(secret).digest("hex");
}
