import { z } from "zod";
import { ValidationError } from "./errors";

/** Parses input with a zod schema; a failure becomes a ValidationError naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join(".");
  throw new ValidationError(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
}
