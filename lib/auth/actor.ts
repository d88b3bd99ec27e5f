/**
 * Who did something, as the audit trail records it: a signed-in user, a
 * management token, the bootstrap token, the cron, a policy, or a key acting on itself
 * (self-rotation, by its display prefix).
 */
export type Actor =
  | `user:${string}`
  | `token:${string}`
  | "bootstrap"
  | "system:cron"
  | "system:seed"
  | "system:policy"
  | "system:restore"
  | "system:github"
  | `key:${string}`
  | "verifier"
  | "anonymous";

export const SYSTEM_CRON: Actor = "system:cron";
/** A rotation policy acting by itself (an emergency rotation on possible compromise). */
export const SYSTEM_POLICY: Actor = "system:policy";
/** A restore from backup (npm run restore), re-applying revocations from the journal. */
export const SYSTEM_RESTORE: Actor = "system:restore";
/** GitHub secret scanning, reporting a key it found in public (lib/leaks/github.ts). */
export const SYSTEM_GITHUB: Actor = "system:github";
