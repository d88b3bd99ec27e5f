import pino from "pino";
import { env } from "./env";

/**
 * The one logger (pino: structured JSON lines). Redacts the places a secret
 * could travel through a request, as a second line of defence: no code path
 * logs a key on purpose.
 */
export const log = pino({
  level: env("LOG_LEVEL") ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { app: "rekey" },
  redact: { paths: ["key", "secret", "successorKey", "authorization", "*.key", "*.secret", "*.authorization", "headers.authorization"], censor: "[redacted]" },
});
