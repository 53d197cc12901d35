/**
 * Accord's one family of errors. Each names what went wrong in a stable
 * `code`; the HTTP layer maps the class to a status in exactly one place
 * (functions/lib/http-error.ts), and workflow tasks let them propagate by name.
 */

export interface ErrorDetail {
  /** JSON path of the offending field (`terms.schedule.deadline`), or '' for the whole request. */
  path: string;
  message: string;
}

export abstract class AccordError extends Error {
  abstract readonly code: string;
  readonly details: ErrorDetail[];

  constructor(message: string, options: { details?: ErrorDetail[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? [];
  }
}

/** The request is malformed or fails validation. */
export class ValidationError extends AccordError {
  constructor(
    message: string,
    options: { details?: ErrorDetail[]; cause?: unknown; code?: string } = {},
  ) {
    super(message, options);
    this.code = options.code ?? 'validation_failed';
  }
  readonly code: string;
}

/** No credentials, or credentials that are unknown or revoked. */
export class UnauthenticatedError extends AccordError {
  readonly code = 'unauthenticated';
}

/** Known caller, but its role or party does not allow this. */
export class ForbiddenError extends AccordError {
  readonly code = 'forbidden';
}

/** Unknown, or not visible to this caller (never says which). */
export class NotFoundError extends AccordError {
  readonly code = 'not_found';
}

/** The path exists but not with this method. */
export class MethodNotAllowedError extends AccordError {
  readonly code = 'method_not_allowed';
  constructor(
    message: string,
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

/** The write conflicts with stored state: duplicate, stale version, wrong status. */
export class ConflictError extends AccordError {
  constructor(
    message: string,
    options: { details?: ErrorDetail[]; cause?: unknown; code?: string } = {},
  ) {
    super(message, options);
    this.code = options.code ?? 'conflict';
  }
  readonly code: string;
}

export class PayloadTooLargeError extends AccordError {
  readonly code = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends AccordError {
  readonly code = 'unsupported_media_type';
}
