/**
 * Plain-text output for people: aligned tables, labelled lists, times.
 * Machine-readable output is `--json`, never parsed from these.
 */

export type Cell = string | number | boolean | undefined | null;

function text(cell: Cell): string {
  if (cell === undefined || cell === null) return '-';
  return String(cell);
}

/** Columns aligned on the longest cell; numbers right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], options: { rightAlign?: readonly number[] } = {}): string[] {
  const cells = rows.map((row) => headers.map((_, index) => text(row[index])));
  const widths = headers.map((header, index) => Math.max(header.length, ...cells.map((row) => [...(row[index] ?? '')].length)));
  const right = new Set(options.rightAlign ?? []);
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => {
        const width = widths[index] ?? 0;
        return right.has(index) ? value.padStart(width) : value.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)];
}

/** `label  value` lines with the labels aligned. */
export function fields(entries: readonly (readonly [string, Cell])[]): string[] {
  const width = Math.max(0, ...entries.map(([label]) => label.length));
  return entries.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${text(value)}`);
}

/** An ISO-8601 time as `2026-11-23 14:05 UTC`. */
export function when(iso: string | undefined): string {
  if (!iso) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function indent(lines: readonly string[], by = '  '): string[] {
  return lines.map((line) => (line ? `${by}${line}` : line));
}
