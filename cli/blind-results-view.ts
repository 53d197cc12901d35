import { type BlindResultsPreview, type BlindResultsView, type BlindView, cellList, ownRowsOfView } from '../shared/blind/view.ts';
import type { AccountRow } from '../shared/contributions/validate.ts';
import { toCsv } from '../shared/csv.ts';
import { POPULATIONS } from '../shared/terms.ts';
import { indent, plural } from './format.ts';
import { headLines, type NineBox, ownRowText, PLURAL, previewHeadLines } from './results-view.ts';

/**
 * A blind run's results in the terminal: Accord answers per cell a level, a
 * count and your own record references; they are turned back into your own
 * rows here, with the map `accord contribute --blind` kept on this machine
 * (cli/blind-files.ts). Nothing of your partner's list is shown: Accord has
 * none of it.
 */

type Records = ReadonlyMap<string, AccountRow>;

function box(view: Pick<BlindView, 'cells'>): NineBox {
  return { cells: cellList(view.cells).map((cell) => ({ ...cell, count: cell.count ?? null })) };
}

const MISSING_MAP = "(your records, not in this machine's map: read the results where the list was contributed)";

/** Cell by cell: its count and level, and with level accounts your own rows in it, one matched account a line. */
export function blindCellLines(view: Pick<BlindView, 'cells'>, records: Records, limit = Infinity): string[] {
  const lines: string[] = [];
  for (const cell of cellList(ownRowsOfView(view, records))) {
    const head = `your ${PLURAL[cell.mine]} × their ${PLURAL[cell.theirs]}: `;
    if (cell.level === 'hidden') {
      lines.push(`${head}hidden, you see nothing`);
      continue;
    }
    lines.push(`${head}${plural(cell.count ?? 0, 'match', 'matches')}, you see ${cell.level === 'count' ? 'the count only' : 'which of your accounts'}`);
    const accounts = cell.accounts ?? [];
    lines.push(...indent(accounts.slice(0, limit).map((rows) => (rows.length ? rows.map(ownRowText).join('; ') : MISSING_MAP)), '    '));
    if (accounts.length > limit) lines.push(`    … and ${accounts.length - limit} more (accord results --json, or accord export)`);
    if (cell.unknown) lines.push(`    ${plural(cell.unknown, 'record')} of yours not in this machine's map`);
  }
  return lines;
}

export function blindResultsLines(view: BlindResultsView, records: Records, limit = Infinity): string[] {
  return [
    ...headLines(view, box(view), true),
    'Cell by cell (your own accounts, mapped back to your rows on this machine; Accord holds nothing of your partner’s list):',
    ...indent(blindCellLines(view, records, limit)),
  ];
}

/** Before approval: what you will see, and per cell what your partner will see (its levels and counts). */
export function blindPreviewLines(preview: BlindResultsPreview, records: Records, limit = Infinity): string[] {
  // Their cell [their population][yours] is your [yours][theirs].
  const theirs = POPULATIONS.flatMap((mine) =>
    POPULATIONS.map((other) => {
      const cell = preview.theyWillSee.cells[other][mine];
      const what = cell.level === 'hidden' ? 'nothing' : cell.level === 'count' ? `the count (${cell.count ?? 0})` : `which of their own accounts (${plural(cell.count ?? 0, 'match', 'matches')})`;
      return `your ${PLURAL[mine]} × their ${PLURAL[other]}: they see ${what}`;
    }),
  );
  return [
    ...previewHeadLines(preview, box(preview.youWillSee)),
    ...indent(blindCellLines(preview.youWillSee, records, limit)),
    '',
    'Your partner will see (never your rows: Accord has none of them):',
    ...indent(theirs),
  ];
}

/** Your released blind view as CSV (formula-safe): a line per count-only cell, a line per own row of each matched account. */
export function blindRowsCsv(view: Pick<BlindView, 'cells'>, records: Records): string {
  const lines = cellList(ownRowsOfView(view, records)).flatMap((cell) => {
    const start = [cell.mine, cell.theirs, cell.level, cell.count];
    if (cell.level === 'count') return [[...start, '', '', '', '', '']];
    return (cell.accounts ?? []).flatMap((rows, index) => rows.map((row) => [...start, index + 1, row.ref, row.line, row.name, row.website]));
  });
  return toCsv(['my_population', 'their_population', 'level', 'count', 'account', 'my_ref', 'my_line', 'my_name', 'my_website'], lines);
}
