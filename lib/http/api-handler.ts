import "server-only";
// A type only: this module must load outside Next too (scripts, tests), where importing
// next/server's values fails ("AsyncLocalStorage accessed in runtime where it is not available").
import type { NextRequest } from "next/server";
import type { z } from "zod";
import { DomainError, type ErrorCode, PayloadTooLargeError, TooManyRequestsError, ValidationError } from "../errors";
import { authenticateManagementRequest, authenticateVerifierRequest } from "../auth/management-tokens";
import type { Actor } from "../auth/actor";
import { log } from "../log";
import { env } from "../env";
import { withIdempotency } from "./idempotency";
import { createRateLimit, type Quota, type RateLimit } from "./rate-limit";
import { BAD_PATH_MESSAGE } from "./path-encoding";
import { parseInput } from "../validation";

type Params = Record<string, string>;
type RouteContext = { params: Promise<Params> };

export interface ApiContext {
  request: Request;
  params: Params;
  /** The time of the request: domain code takes it as a parameter. */
  now: Date;
  /** The body as text, within the route's limit (413 past it). */
  readText: () => Promise<string>;
  /** The body as a JSON object, within the route's limit (413 past it, 400 if not an object). */
  readJson: () => Promise<Record<string, unknown>>;
}

/** How much of a request body a route reads, and what the 413 says past that. */
export interface BodyLimit {
  bytes: number;
  message: string;
}

/** A body limit of `bytes`, with a message that says it. */
export function bodyLimit(
  bytes: number,
  message = `The request body is at most ${bytes >= 1 << 20 ? `${bytes / (1 << 20)} MB` : `${bytes / 1024} KB`}.`,
): BodyLimit {
  return { bytes, message };
}

/**
 * The default for every route: the largest management request (an
 * organization with 50 contacts of 320 characters, a key with 100 scopes) is
 * under 20 KB, so 64 KB leaves room and refuses a body that is no request.
 */
export const MANAGEMENT_BODY = bodyLimit(64 * 1024);

/** `{ error: { code, message } }` with the error's status. */
export function errorResponse(status: number, code: ErrorCode, message: string, field?: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message, ...(field ? { field } : {}) } }, { status, headers: { "cache-control": "no-store", ...headers } });
}

/**
 * What a request that failed with `error` answers: a domain error's status,
 * code and message; anything else is logged here and the client gets a fixed
 * message, never error.message or a stack. Shared by the route wrapper and
 * the verify fast path (lib/http/fast-verify.ts).
 */
export function describeError(
  error: unknown,
  method: string | undefined,
  path: string,
): { status: number; body: { error: { code: ErrorCode; message: string; field?: string } }; headers: Record<string, string> } {
  const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
  if (error instanceof DomainError) {
    if (error instanceof TooManyRequestsError) {
      headers["retry-after"] = String(error.retryAfterSeconds);
      if (error.quota) Object.assign(headers, quotaHeaders(error.quota));
    }
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

/**
 * A route handler that needs no caller identity (verification, OpenAPI).
 * Every route has a body limit (`limit`, 64 KB unless the route says more or
 * less): a body declared larger is refused before anything else, even where
 * the route never reads it, and `readText`/`readJson` stop counting at it.
 */
export function publicHandler(fn: (ctx: ApiContext) => Promise<Response>, limit: BodyLimit = MANAGEMENT_BODY) {
  return async (request: Request, route: RouteContext): Promise<Response> => {
    try {
      if (declaredLength(request) > limit.bytes) throw new PayloadTooLargeError(limit.message);
      const params = await routeParams(route);
      return await fn({ request, params, now: new Date(), readText: () => readBodyWithin(request, limit), readJson: () => readJsonObject(request, limit) });
    } catch (error) {
      return toResponse(error, request);
    }
  };
}

/**
 * A handler that reads its body itself (next-auth's sign-in endpoint) under
 * the same limit as every other route: the body is read here, counted as it
 * streams (413 in the API's error shape past `limit`), and `fn` gets a copy
 * of the request that carries the text read.
 */
export function withBodyLimit<C>(fn: (request: NextRequest, ctx: C) => Promise<Response>, limit: BodyLimit) {
  return async (request: NextRequest, ctx: C): Promise<Response> => {
    let text: string;
    try {
      text = await readBodyWithin(request, limit);
    } catch (error) {
      return toResponse(error, request);
    }
    const headers = new Headers(request.headers);
    headers.delete("content-length");
    const { NextRequest: Request } = await import("next/server");
    return fn(new Request(request.url, { method: request.method, headers, body: text }), ctx);
  };
}

/** What a management route declares beside its handler. */
export interface ManagementRoute<S extends z.ZodType | undefined> {
  /**
   * The body's schema: the body is parsed with it once, here (a 400 naming
   * the field), and the handler gets it typed as `body`; the domain
   * function that owns the same schema takes that value as it is.
   */
  body?: S;
  /** Fields of the request that its path carries (`{ keyId: params.id }`), parsed with the body; the path wins. */
  fromPath?: (params: Params) => Record<string, unknown>;
  /** How much body the route reads: MANAGEMENT_BODY unless it says. */
  limit?: BodyLimit;
}

/** A management handler's context: the request's, the token's actor, and the parsed body. */
export type ManagementContext<S extends z.ZodType | undefined> = ApiContext & {
  actor: Actor;
  body: S extends z.ZodType ? z.output<S> : undefined;
};

/**
 * A management API route handler: authenticates the bearer token first,
 * then (with `route.body`) parses the body. A POST with an
 * `Idempotency-Key` header is carried out once per caller and key
 * (lib/http/idempotency.ts): the body is read here, once, to compare a
 * retry with the first request.
 *
 *     export const POST = managementHandler({ body: issueKeySchema }, async ({ body, actor, now }) => …);
 */
export function managementHandler(fn: (ctx: ManagementContext<undefined>) => Promise<Response>): ReturnType<typeof publicHandler>;
export function managementHandler<S extends z.ZodType | undefined>(
  route: ManagementRoute<S>,
  fn: (ctx: ManagementContext<S>) => Promise<Response>,
): ReturnType<typeof publicHandler>;
export function managementHandler<S extends z.ZodType | undefined>(
  routeOrFn: ManagementRoute<S> | ((ctx: ManagementContext<undefined>) => Promise<Response>),
  maybeFn?: (ctx: ManagementContext<S>) => Promise<Response>,
) {
  const route: ManagementRoute<S> = typeof routeOrFn === "function" ? {} : routeOrFn;
  const fn = (typeof routeOrFn === "function" ? routeOrFn : maybeFn!) as (ctx: ManagementContext<S>) => Promise<Response>;
  const run = async (ctx: ApiContext & { actor: Actor }) => {
    const schema = route.body;
    const body = schema ? parseInput(schema, { ...(await ctx.readJson()), ...route.fromPath?.(ctx.params) }) : undefined;
    return fn({ ...ctx, body } as ManagementContext<S>);
  };
  return publicHandler(async (ctx) => {
    const actor = await authenticateManagementRequest(ctx.request, ctx.now);
    return withTokenQuota(actor, ctx, async () => {
      const idempotencyKey = ctx.request.method === "POST" ? ctx.request.headers.get("idempotency-key") : null;
      if (idempotencyKey === null) return run({ ...ctx, actor });
      const text = await ctx.readText();
      const read = { readText: async () => text, readJson: async () => parseJsonObject(text) };
      return withIdempotency(actor, idempotencyKey, ctx.request, text, ctx.now, () => run({ ...ctx, ...read, actor }));
    });
  }, route.limit);
}

/** A route for in-process verifiers: REKEY_VERIFY_TOKEN or a management token. */
export function verifierHandler(fn: (ctx: ApiContext & { actor: Actor }) => Promise<Response>, limit?: BodyLimit) {
  return publicHandler(async (ctx) => {
    const actor = await authenticateVerifierRequest(ctx.request, ctx.now);
    return withTokenQuota(actor, ctx, () => fn({ ...ctx, actor }));
  }, limit);
}

const tokenLimits = new Map<number, RateLimit>();

/**
 * Counts the request against its token's limit (REKEY_MANAGEMENT_RATE_LIMIT
 * a minute, shared by every instance): past it a 429 before anything is
 * done. Every answer after the token is known, a refusal too, carries the
 * token's standing as `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds), the IETF draft's fields that GitHub's and
 * Stripe's clients read under one name or another.
 */
function withTokenQuota(actor: Actor, ctx: ApiContext, run: () => Promise<Response>): Promise<Response> {
  const points = env("REKEY_MANAGEMENT_RATE_LIMIT");
  let tokenLimit = tokenLimits.get(points);
  if (!tokenLimit) tokenLimits.set(points, (tokenLimit = createRateLimit({ name: "management-token", points, durationSeconds: 60 })));
  const limit = tokenLimit;
  return withQuota(() => limit.take(actor, "requests with this token", ctx.now), ctx, run);
}

/**
 * Takes a point of a limit (`take`: past it, the 429 answers at once), then
 * runs the request; its answer, a refusal too, carries the standing as
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 */
export async function withQuota(take: () => Promise<Quota>, ctx: ApiContext, run: () => Promise<Response>): Promise<Response> {
  let quota: Quota;
  try {
    quota = await take();
  } catch (error) {
    return toResponse(error, ctx.request);
  }
  let response: Response;
  try {
    response = await run();
  } catch (error) {
    response = toResponse(error, ctx.request);
  }
  // A refusal by a narrower limit inside (a 429 of its own) keeps that limit's standing.
  for (const [name, value] of Object.entries(quotaHeaders(quota))) if (!response.headers.has(name)) response.headers.set(name, value);
  return response;
}

/** The `RateLimit-*` headers of a quota. */
function quotaHeaders(quota: Quota): Record<string, string> {
  return { "ratelimit-limit": String(quota.limit), "ratelimit-remaining": String(quota.remaining), "ratelimit-reset": String(quota.resetSeconds) };
}

/**
 * The route's path parameters. Next decodes them (decodeURIComponent) when
 * they are read; a path that is not valid percent-encoding (`%E0%A4%A`) is
 * the caller's mistake, and so is a NUL byte, which PostgreSQL cannot store
 * or compare (error 22021): both are a 400 here, before any query.
 */
async function routeParams(route: RouteContext | undefined): Promise<Params> {
  let params: Params;
  try {
    params = (await route?.params) ?? {};
  } catch (error) {
    if (error instanceof URIError || (error instanceof Error && error.name === "DecodeError")) throw new ValidationError(BAD_PATH_MESSAGE);
    throw error;
  }
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === "string" && value.includes("\0")) throw new ValidationError(`${name}: must not contain a NUL character`, name);
  }
  return params;
}

/** Content-Length as a number; 0 when absent or not a number (the streamed count still applies). */
function declaredLength(request: Request): number {
  const length = Number(request.headers.get("content-length") ?? 0);
  return Number.isFinite(length) ? length : 0;
}

/**
 * A web Request's body as text, refused (413) past `limit` bytes without
 * reading the rest: the declared length first, then the bytes as they stream
 * (a chunked body declares none). The one way routes read a body.
 */
export async function readBodyWithin(request: Request, limit: BodyLimit): Promise<string> {
  if (declaredLength(request) > limit.bytes) throw new PayloadTooLargeError(limit.message);
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit.bytes) {
      await reader.cancel();
      throw new PayloadTooLargeError(limit.message);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The request body as a JSON object within `limit`, or a ValidationError saying it is not one. */
export async function readJsonObject(request: Request, limit: BodyLimit = MANAGEMENT_BODY): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBodyWithin(request, limit));
}

/** A request body's text as a JSON object, or a ValidationError saying it is not one. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let body: unknown;
  try {
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
