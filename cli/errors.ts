/**
 * What an `accord` command answers to its shell: an exit code per kind of
 * failure, and one line on stderr saying what went wrong. Scripts branch on
 * the code; people read the line.
 */

export const EXIT = {
  /** Done. */
  ok: 0,
  /** The input or the request failed: local validation, API 400/413/415, a rejected contribution, a server error. */
  failed: 1,
  /** Not a valid command line: unknown command or option, missing argument, bad option value, a file that cannot be read, no profile of that name. */
  usage: 2,
  /** No key, or an unknown or revoked key (401), or a key whose role may not do this (403). */
  auth: 3,
  /** No such agreement, run, key or partner, or not yours (404); results expired or deleted (410). */
  notFound: 4,
  /** The request conflicts with what is stored (409): stale terms version, wrong state, already exists. */
  conflict: 5,
  /** The API could not be reached. */
  unreachable: 6,
  /** A wait ran out of time (a contribution's report, a status). */
  timeout: 7,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit codes, for `accord --help` and the README. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  failed: invalid input (checked locally or by the API), rejected contribution, server error
  2  usage: unknown command or option, missing argument, unreadable file, unknown profile
  3  authentication or permission: no key, unknown or revoked key (401), role not allowed (403)
  4  not found (404), or gone (410): results expired or deleted
  5  conflict (409): stale terms version, wrong state, already exists
  6  the API cannot be reached
  7  timed out waiting`;

/** A failure the CLI explains in one line and answers with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** The exit code of an API answer's HTTP status. */
export function exitCodeOfStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404 || status === 410) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  return EXIT.failed;
}

/** Any thrown value as one line: a CliError as it is, anything else as an unexpected error. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
