import type { Actor } from "./auth/actor";
import type { OrganizationScope } from "./auth/scope";

/**
 * What every state change of the domain is handed: who acts (as the audit trail records it) and the instant it
 * happens at (one `now` for the change, its audit events and its notifications). The edges build it once: a server
 * action's `ActionContext` (lib/http/server-action.ts) and a management handler's context are ones.
 */
export interface Context {
  actor: Actor;
  now: Date;
}

/**
 * The context of a change a customer may make too: with the one organization they may touch (staff, the cron and the
 * management API have none: `{}`). A function that takes only a `Context` is not for customers, and a `scope` written
 * into its context is a type error, so a customer's scope is never silently dropped.
 */
export interface ScopedContext extends Context {
  scope?: OrganizationScope;
}
