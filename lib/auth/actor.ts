/**
 * Who did something, as the audit trail records it: a signed-in user, a
 * management token, the bootstrap token, the cron, or a key acting on itself
 * (self-rotation, by its display prefix).
 */
export type Actor = `user:${string}` | `token:${string}` | "bootstrap" | "system:cron" | "system:seed" | `key:${string}` | "verifier" | "anonymous";

export const SYSTEM_CRON: Actor = "system:cron";
