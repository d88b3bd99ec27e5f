import "server-only";
import type { z } from "zod";
import { DomainError, ValidationError } from "../errors";
import { requirePermission } from "../auth/authorize";
import type { Viewer } from "../auth/viewer";
import type { Permission } from "../auth/permissions";
import { parseInput } from "../validation";
import { log } from "../log";

export type ActionResult<T = unknown> = { ok: true; message: string; data?: T } | { ok: false; code: string; error: string; field?: string };

/**
 * Every server action goes through here: the viewer (checked for the
 * permission on the server, whatever the UI showed), the input (zod), then
 * the change. Domain errors become a fixed code and their message; anything
 * else is logged and answered with a generic message.
 */
export function serverAction<S extends z.ZodType, T>(
  permission: Permission,
  schema: S,
  run: (input: z.output<S>, viewer: Viewer, now: Date) => Promise<{ message: string; data?: T }>,
) {
  return async (raw: unknown): Promise<ActionResult<T>> =>
    answer(permission, async () => {
      const viewer = await requirePermission(permission);
      return run(parseInput(schema, raw), viewer, new Date());
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
