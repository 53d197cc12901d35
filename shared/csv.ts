/**
 * CSV for people's spreadsheets (RFC 4180, CRLF line ends), safe against
 * formula injection: a text cell that begins with `=`, `+`, `-`, `@`, a tab
 * or a carriage return is prefixed with `'`, so a spreadsheet shows it as
 * text instead of evaluating it (OWASP's CSV injection advice). Numbers, and
 * text that is exactly a decimal number (`-12.50`), are written as they are, so
 * a negative amount stays a number; nothing else escapes the prefix. A cell with a comma, a quote or a line break is quoted, its quotes doubled.
 */

export type CsvValue = string | number | undefined | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

export function csvCell(value: CsvValue): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  const text = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV document: the header, then one line per row, each ending with CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(',')}\r\n`).join('');
}
