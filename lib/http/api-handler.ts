import "server-only";
import { DomainError, TooManyRequestsError, ValidationError } from "../errors";
import { authenticateManagementRequest, authenticateVerifierRequest } from "../auth/management-tokens";
import type { Actor } from "../auth/actor";
import { log } from "../log";

type Params = Record<string, string>;
type RouteContext = { params: Promise<Params> };

export interface ApiContext {
  request: Request;
  params: Params;
  /** The time of the request: domain code takes it as a parameter. */
  now: Date;
}

/** `{ error: { code, message } }` with the error's status. */
export function errorResponse(status: number, code: string, message: string, field?: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message, ...(field ? { field } : {}) } }, { status, headers: { "cache-control": "no-store", ...headers } });
}

/**
 * What a request that failed with `error` answers: a domain error's status,
 * code and message; anything else is logged here and the client gets a fixed
 * message, never error.message or a stack. Shared by the route wrapper and
 * the verify fast path (lib/http/fast-verify.ts).
 */
export function describeError(error: unknown, method: string | undefined, path: string): { status: number; body: { error: { code: string; message: string; field?: string } }; headers: Record<string, string> } {
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  if (error instanceof DomainError) {
    if (error instanceof TooManyRequestsError) headers["retry-after"] = String(error.retryAfterSeconds);
    const field = error instanceof ValidationError ? error.field : undefined;
    return { status: error.status, body: { error: { code: error.code, message: error.message, ...(field ? { field } : {}) } }, headers };
  }
  log.error({ err: error, method, path }, "request failed");
  return { status: 500, body: { error: { code: "internal", message: "Something went wrong on our side. It has been logged." } }, headers };
}

function toResponse(error: unknown, request: Request): Response {
  const { status, body, headers } = describeError(error, request.method, new URL(request.url).pathname);
  return Response.json(body, { status, headers });
}

/** A route handler that needs no caller identity (verification, OpenAPI). */
export function publicHandler(fn: (ctx: ApiContext) => Promise<Response>) {
  return async (request: Request, route: RouteContext): Promise<Response> => {
    try {
      return await fn({ request, params: (await route?.params) ?? {}, now: new Date() });
    } catch (error) {
      return toResponse(error, request);
    }
  };
}

/** A management API route handler: authenticates the bearer token first. */
export function managementHandler(fn: (ctx: ApiContext & { actor: Actor }) => Promise<Response>) {
  return publicHandler(async (ctx) => fn({ ...ctx, actor: await authenticateManagementRequest(ctx.request, ctx.now) }));
}

/** A route for in-process verifiers: REKEY_VERIFY_TOKEN or a management token. */
export function verifierHandler(fn: (ctx: ApiContext & { actor: Actor }) => Promise<Response>) {
  return publicHandler(async (ctx) => fn({ ...ctx, actor: await authenticateVerifierRequest(ctx.request, ctx.now) }));
}

/** The request body as a JSON object, or a ValidationError saying it is not one. */
export async function readJsonObject(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    const text = await request.text();
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new ValidationError("The request body must be JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ValidationError("The request body must be a JSON object.");
  return body as Record<string, unknown>;
}

/** JSON that must never be cached: it may hold a key shown once. */
export function jsonNoStore(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}
