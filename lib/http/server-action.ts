import "server-only";
import type { z } from "zod";
import { DomainError, ValidationError } from "../errors";
import { requirePermission } from "../auth/authorize";
import type { Viewer } from "../auth/viewer";
import type { Permission } from "../auth/permissions";
import type { ScopedContext } from "../context";
import { type OrganizationScope, scopeOf } from "../auth/scope";
import { parseInput } from "../validation";
import { log } from "../log";

export type ActionResult<T = unknown> = { ok: true; message: string; data?: T } | { ok: false; code: string; error: string; field?: string };

/**
 * What an action hands the domain, decided once here: the domain's context (lib/context.ts: the actor the audit
 * trail names, `user:<id>`, the time of the request, the organizations they may touch: a customer's own, staff
 * all), and who is signed in.
 */
export interface ActionContext extends ScopedContext {
  viewer: Viewer;
  /** Read when used: a customer without an organization is refused only by an action that needs one. */
  readonly scope: OrganizationScope;
}

/** The context of a signed-in viewer's request at `now`. */
export function actionContext(viewer: Viewer, now: Date): ActionContext {
  return {
    viewer,
    actor: `user:${viewer.userId}`,
    get scope() {
      return scopeOf(viewer);
    },
    now,
  };
}

/**
 * Every server action goes through here: the viewer (checked for the
 * permission on the server, whatever the UI showed), the input (zod, once:
 * the domain function that owns the same schema takes the parsed value as it
 * is), then the change. Domain errors become a fixed code and their message;
 * anything else is logged and answered with a generic message. Exported as it
 * is: `export const fooAction = serverAction(...)`.
 */
export function serverAction<S extends z.ZodType, T>(
  permission: Permission,
  schema: S,
  run: (input: z.output<S>, ctx: ActionContext) => Promise<{ message: string; data?: T }>,
) {
  return async (raw: unknown): Promise<ActionResult<T>> =>
    answer(permission, async () => {
      const viewer = await requirePermission(permission);
      return run(parseInput(schema, raw), actionContext(viewer, new Date()));
    });
}

/**
 * An action for someone not signed in yet (the sign-in page's passkey
 * challenge): no viewer, the same input check and the same answers. Whatever
 * it does must be safe for anyone to call, and limited by the caller's address.
 */
export function publicAction<S extends z.ZodType, T>(schema: S, run: (input: z.output<S>, now: Date) => Promise<{ message: string; data?: T }>) {
  return async (raw: unknown): Promise<ActionResult<T>> => answer("public", () => run(parseInput(schema, raw), new Date()));
}

async function answer<T>(what: string, run: () => Promise<{ message: string; data?: T }>): Promise<ActionResult<T>> {
  try {
    const { message, data } = await run();
    return { ok: true, message, data };
  } catch (error) {
    if (error instanceof DomainError) {
      return { ok: false, code: error.code, error: error.message, field: error instanceof ValidationError ? error.field : undefined };
    }
    log.error({ err: error, permission: what }, "server action failed");
    return { ok: false, code: "internal", error: "Something went wrong on our side. It has been logged." };
  }
}
