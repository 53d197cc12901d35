/**
 * The few shell forms the README's quick start uses, read strictly so that a
 * line the test cannot run fails instead of being skipped:
 *
 *   npx accord ARG...              a command
 *   NAME=$(npx accord ARG...)      a command whose output is kept in $NAME
 *   # comment, blank line          nothing
 *
 * Words are bare, 'single-quoted' or "double-quoted"; $NAME and "$NAME" expand.
 */

export interface ShellLine {
  /** The line as written in the README. */
  text: string;
  assign?: string;
  /** The words after `npx accord`, not yet expanded. */
  words: Word[];
}

export type Word = { parts: ({ literal: string } | { variable: string })[] };

export function parseShellLines(block: string): ShellLine[] {
  const lines: ShellLine[] = [];
  for (const raw of block.split('\n')) {
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    const assignment = /^([A-Z_][A-Z0-9_]*)=\$\((.*)\)(\s+#.*)?$/.exec(text);
    const command = assignment ? assignment[2]! : text;
    const words = tokenize(command, text);
    const [npx, accord, ...rest] = words;
    if (literalOf(npx) !== 'npx' || literalOf(accord) !== 'accord') throw new Error(`not an accord command: ${text}`);
    lines.push({ text, ...(assignment ? { assign: assignment[1]! } : {}), words: rest });
  }
  return lines;
}

function literalOf(word: Word | undefined): string | undefined {
  const part = word?.parts[0];
  return word?.parts.length === 1 && part && 'literal' in part ? part.literal : undefined;
}

function tokenize(command: string, line: string): Word[] {
  const words: Word[] = [];
  let at = 0;
  while (at < command.length) {
    while (command[at] === ' ') at++;
    if (at >= command.length || command[at] === '#') break;
    const word: Word = { parts: [] };
    while (at < command.length && command[at] !== ' ') {
      const c = command[at]!;
      if (c === "'") {
        const end = command.indexOf("'", at + 1);
        if (end < 0) throw new Error(`unclosed quote: ${line}`);
        word.parts.push({ literal: command.slice(at + 1, end) });
        at = end + 1;
      } else if (c === '"') {
        const end = command.indexOf('"', at + 1);
        if (end < 0) throw new Error(`unclosed quote: ${line}`);
        word.parts.push(...expandable(command.slice(at + 1, end), line));
        at = end + 1;
      } else if (/[|&;<>()`\\]/.test(c)) {
        throw new Error(`shell syntax the quick-start test does not run ("${c}"): ${line}`);
      } else {
        let end = at;
        while (end < command.length && !/[\s'"|&;<>()`\\]/.test(command[end]!)) end++;
        word.parts.push(...expandable(command.slice(at, end), line));
        at = end;
      }
    }
    words.push(word);
  }
  return words;
}

function expandable(text: string, line: string): Word['parts'] {
  const parts: Word['parts'] = [];
  let rest = text;
  for (let match = /\$\{?([A-Z_][A-Z0-9_]*)\}?/.exec(rest); match; match = /\$\{?([A-Z_][A-Z0-9_]*)\}?/.exec(rest)) {
    if (match.index > 0) parts.push({ literal: rest.slice(0, match.index) });
    parts.push({ variable: match[1]! });
    rest = rest.slice(match.index + match[0].length);
  }
  if (rest.includes('$')) throw new Error(`shell expansion the quick-start test does not run: ${line}`);
  if (rest) parts.push({ literal: rest });
  return parts;
}

export function expand(words: readonly Word[], variables: Readonly<Record<string, string>>): string[] {
  return words.map((word) =>
    word.parts
      .map((part) => {
        if ('literal' in part) return part.literal;
        const value = variables[part.variable];
        if (value === undefined) throw new Error(`$${part.variable} is used before it is set`);
        return value;
      })
      .join(''),
  );
}

/** The fenced `sh` blocks of a README section (from its `## Title` to the next `## `). */
export function sectionBlocks(markdown: string, title: string): string[] {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "## ${title}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}
