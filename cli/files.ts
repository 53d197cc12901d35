import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { type Terms, type TermsInput, TermsSchema, zodIssuesToDetails } from '../shared/terms.ts';
import { CliError, EXIT, usageError } from './errors.ts';

/** Reading the files a user names: refused with one line when missing or unreadable. */

export function resolvePath(cwd: string, file: string): string {
  return isAbsolute(file) ? file : resolve(cwd, file);
}

function unreadable(file: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
  return usageError(`cannot read ${file}: ${why}`);
}

/** A regular file's size; a usage error naming the file when it cannot be read. */
export async function fileSize(cwd: string, file: string): Promise<number> {
  try {
    const info = await stat(resolvePath(cwd, file));
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    return info.size;
  } catch (error) {
    throw unreadable(file, error);
  }
}

export async function readText(cwd: string, file: string): Promise<string> {
  try {
    return await readFile(resolvePath(cwd, file), 'utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
}

/**
 * Terms from a YAML or JSON file (JSON is YAML), checked with the very
 * schema the API uses. Each problem is one line naming the file, its line
 * and the field's path: `terms.yaml:14: terms.schedule.reminderDays.1: must be strictly ascending: ...`.
 */
export async function readTermsFile(cwd: string, file: string): Promise<{ input: TermsInput; terms: Terms }> {
  const text = await readText(cwd, file);
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const lines = document.errors.map((error) => {
      const at = lineCounter.linePos(error.pos[0]);
      return `${file}:${at.line}: not valid YAML or JSON: ${error.message.split('\n')[0]}`;
    });
    throw new CliError(lines.join('\n'), EXIT.failed);
  }
  const input: unknown = document.toJS();
  if (input === null || input === undefined) return { input: {}, terms: TermsSchema.parse({}) };
  if (!isMap(document.contents)) throw new CliError(`${file}: must hold the terms as a mapping of fields (purpose, visibility, schedule, ...)`, EXIT.failed);
  const parsed = TermsSchema.safeParse(input);
  if (parsed.success) return { input: input, terms: parsed.data };
  const lines = parsed.error.issues.flatMap((issue) => {
    const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
    const line = lineOf(document, lineCounter, path);
    return zodIssuesToDetails([issue], ['terms']).map((detail) => `${file}${line ? `:${line}` : ''}: ${detail.path}: ${detail.message}`);
  });
  throw new CliError(lines.join('\n'), EXIT.failed);
}

/** The line of the node at `path`, or of its nearest ancestor present in the file. */
function lineOf(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 1; depth -= 1) {
    const node = document.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
