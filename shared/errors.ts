/**
 * Accord's one family of errors. Each names what went wrong in a stable
 * `code` (its class's default, or a more precise one given where it is
 * thrown); the HTTP layer maps the class to a status in exactly one place
 * (functions/lib/http-error.ts), and workflow tasks let them propagate by name.
 */

export interface ErrorDetail {
  /** JSON path of the offending field (`terms.schedule.deadline`), or '' for the whole request. */
  path: string;
  message: string;
}

export interface AccordErrorOptions {
  /** A more precise code than the class's default, e.g. `stale_version` for a ConflictError. */
  code?: string;
  details?: ErrorDetail[];
  cause?: unknown;
}

export abstract class AccordError extends Error {
  static readonly defaultCode: string = 'error';
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(message: string, options: AccordErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? new.target.defaultCode;
    this.details = options.details ?? [];
  }
}

/** The request is malformed or fails validation. */
export class ValidationError extends AccordError {
  static override readonly defaultCode = 'validation_failed';
}

/** No credentials, or credentials that are unknown or revoked. */
export class UnauthenticatedError extends AccordError {
  static override readonly defaultCode = 'unauthenticated';
}

/** Known caller, but its role or party does not allow this. */
export class ForbiddenError extends AccordError {
  static override readonly defaultCode = 'forbidden';
}

/** Unknown, or not visible to this caller (never says which). */
export class NotFoundError extends AccordError {
  static override readonly defaultCode = 'not_found';
}

/** The path exists but not with this method. */
export class MethodNotAllowedError extends AccordError {
  static override readonly defaultCode = 'method_not_allowed';
  constructor(
    message: string,
    readonly allowed: readonly string[],
  ) {
    super(message);
  }
}

/** The write conflicts with stored state: duplicate, stale version, wrong status. */
export class ConflictError extends AccordError {
  static override readonly defaultCode = 'conflict';
}

/** What was asked for existed but is gone for good (expired results). */
export class GoneError extends AccordError {
  static override readonly defaultCode = 'gone';
}

/** Well-formed, but cannot be processed as asked: e.g. an Idempotency-Key reused with another request. */
export class UnprocessableContentError extends AccordError {
  static override readonly defaultCode = 'unprocessable_content';
}

export class PayloadTooLargeError extends AccordError {
  static override readonly defaultCode = 'payload_too_large';
}

export class UnsupportedMediaTypeError extends AccordError {
  static override readonly defaultCode = 'unsupported_media_type';
}
