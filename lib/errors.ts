/**
 * Typed domain errors. Domain code throws these; the request wrapper maps
 * them to a fixed code and status. Their messages are written for the person
 * who sent the request and never carry a secret.
 */
/**
 * Every `error.code` the API answers, the OpenAPI document's enum
 * (lib/http/openapi.ts): each error class below must use one of them (the
 * compiler checks), and `internal` is the fixed answer to anything unexpected.
 */
export const ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "reauthentication_required",
  "forbidden",
  "not_found",
  "conflict",
  "gone",
  "payload_too_large",
  "rate_limited",
  "unavailable",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  readonly code: ErrorCode = "internal";
  readonly status: number = 500;
}

export class ValidationError extends DomainError {
  override readonly code = "invalid_request";
  override readonly status = 400;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export class UnauthorizedError extends DomainError {
  override readonly code = "unauthorized";
  override readonly status = 401;
}

export class ForbiddenError extends DomainError {
  override readonly code = "forbidden";
  override readonly status = 403;
}

export class NotFoundError extends DomainError {
  override readonly code = "not_found";
  override readonly status = 404;
}

export class ConflictError extends DomainError {
  override readonly code = "conflict";
  override readonly status = 409;
}

/** The action shows a secret: the viewer must have signed in within the last few minutes. */
export class ReauthenticationRequiredError extends DomainError {
  override readonly code = "reauthentication_required";
  override readonly status = 401;
}

/** Too many requests from one caller: try again after `retryAfterSeconds`. */
export class TooManyRequestsError extends DomainError {
  override readonly code = "rate_limited";
  override readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    /** The limit that was reached, for the `RateLimit-*` headers of the answer. */
    readonly quota?: { limit: number; remaining: number; resetSeconds: number },
  ) {
    super(message);
  }
}

/** What the caller holds is gone for good (a change-stream cursor older than what is kept): start over. */
export class GoneError extends DomainError {
  override readonly code = "gone";
  override readonly status = 410;
}

/** A request body larger than the endpoint reads. */
export class PayloadTooLargeError extends DomainError {
  override readonly code = "payload_too_large";
  override readonly status = 413;
}

/** rekey cannot answer this now (a restore is re-applying revocations): try again shortly. */
export class ServiceUnavailableError extends DomainError {
  override readonly code = "unavailable";
  override readonly status = 503;
}
