import {
  AccordError,
  ConflictError,
  ForbiddenError,
  GoneError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthenticatedError,
  UnprocessableContentError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ErrorDetail,
} from '../../shared/errors.ts';

/**
 * The one place where Accord's errors become HTTP answers. Anything that is
 * not an AccordError is a bug: it answers 500 with a request id and no detail.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'HttpError';
  }

  /** Client errors are shown as they are; server errors never leak their message. */
  get expose(): boolean {
    return this.statusCode < 500;
  }

  toJSON(): { error: { code: string; message: string; details: ErrorDetail[] } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

const STATUS_BY_CLASS: ReadonlyArray<[abstract new (...args: never[]) => AccordError, number]> = [
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [MethodNotAllowedError, 405],
  [ConflictError, 409],
  [GoneError, 410],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnprocessableContentError, 422],
];

export function toHttpError(error: unknown, requestId: string): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof AccordError) {
    const status = STATUS_BY_CLASS.find(([type]) => error instanceof type)?.[1] ?? 500;
    const headers: Record<string, string> = {};
    if (error instanceof MethodNotAllowedError) headers.allow = error.allowed.join(', ');
    if (error instanceof UnauthenticatedError) headers['www-authenticate'] = 'Bearer';
    return new HttpError(status, error.code, error.message, error.details, headers, { cause: error });
  }
  return new HttpError(500, 'internal_error', `internal error; quote request id ${requestId} when reporting it`, [], {}, { cause: error });
}
