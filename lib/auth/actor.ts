/**
 * Who did something, as the audit trail records it: a signed-in user, a
 * management token, the bootstrap token, the cron, a policy, or a key acting on itself
 * (self-rotation, by its display prefix).
 */
export type Actor = `user:${string}` | `token:${string}` | "bootstrap" | "system:cron" | "system:seed" | "system:policy" | `key:${string}` | "verifier" | "anonymous";

export const SYSTEM_CRON: Actor = "system:cron";
/** A rotation policy acting by itself (an emergency rotation on possible compromise). */
export const SYSTEM_POLICY: Actor = "system:policy";
