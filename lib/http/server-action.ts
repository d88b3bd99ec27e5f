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
  return async (raw: unknown): Promise<ActionResult<T>> => {
    try {
      const viewer = await requirePermission(permission);
      const input = parseInput(schema, raw);
      const { message, data } = await run(input, viewer, new Date());
      return { ok: true, message, data };
    } catch (error) {
      if (error instanceof DomainError) {
        return { ok: false, code: error.code, error: error.message, field: error instanceof ValidationError ? error.field : undefined };
      }
      log.error({ err: error, permission }, "server action failed");
      return { ok: false, code: "internal", error: "Something went wrong on our side. It has been logged." };
    }
  };
}
