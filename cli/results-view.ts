import type { CellView, MatchView, ResultsHead, ResultsPreview, ResultsView, SeenOfMe } from '../shared/results.ts';
import { type Population, POPULATIONS } from '../shared/terms.ts';
import { indent, plural, table, when } from './format.ts';

/** A run's results in the terminal: the 9-box as a table, then cell by cell with the accounts the terms let you see. */

export const PLURAL: Record<Population, string> = { customer: 'customers', opportunity: 'opportunities', prospect: 'prospects' };

function countText(count: number | null, level: CellView['level']): string {
  if (level === 'hidden' || count === null) return 'hidden';
  return String(count);
}

export interface NineBox {
  cells: readonly Pick<CellView, 'mine' | 'theirs' | 'level' | 'count'>[];
}

/** The 9-box: your populations as rows, your partner's as columns; "hidden" where the terms hide a cell. */
export function nineBoxTable(view: NineBox): string[] {
  const cell = (mine: Population, theirs: Population) => view.cells.find((c) => c.mine === mine && c.theirs === theirs);
  return table(
    ['YOU \\ PARTNER', ...POPULATIONS.map((p) => PLURAL[p])],
    POPULATIONS.map((mine) => [PLURAL[mine], ...POPULATIONS.map((theirs) => { const c = cell(mine, theirs); return c ? countText(c.count, c.level) : '-'; })]),
    { rightAlign: [1, 2, 3] },
  );
}

function levelText(cell: CellView): string {
  if (cell.level === 'count') return 'the count only';
  return cell.fields.length ? `accounts (name, domain, ${cell.fields.join(', ')})` : 'accounts (name, domain)';
}

function actsText(acts: CellView['rule']['acts']): string {
  return acts === 'me' ? 'you act' : acts === 'them' ? 'your partner acts' : acts === 'both' ? 'both act' : 'neither acts';
}

/** One of your own rows, as your CRM knows it: its name and its id (or line). */
export function ownRowText(row: { name: string; ref: string; line: number }): string {
  return `${row.name} [${row.ref === String(row.line) ? `line ${row.line}` : row.ref}]`;
}

function matchLine(match: MatchView): string {
  const theirs = match.theirs.map((a) => `${a.name}${a.domain ? ` (${a.domain})` : ''}${Object.keys(a.fields).length ? ` ${Object.entries(a.fields).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`).join('; ');
  const mine = match.mine.map(ownRowText).join('; ');
  const tags = [match.method === 'domain' ? 'domain' : `name ${Math.round(match.score * 100)}%`, ...(match.isNew ? ['new'] : []), ...(match.flagged ? ['flagged'] : [])];
  return `${theirs || '(not shown)'}  ↔  yours: ${mine}  — ${tags.join(', ')}  ${match.matchId}`;
}

/** Each cell in words: its count, what you see, its play and who acts, and its accounts. */
export function cellLines(view: Pick<ResultsView, 'cells' | 'matches'>, limit = Infinity): string[] {
  const lines: string[] = [];
  for (const cell of view.cells) {
    const head = `your ${PLURAL[cell.mine]} × their ${PLURAL[cell.theirs]}: ${cell.level === 'hidden' ? 'hidden, you see nothing' : `${plural(cell.count ?? 0, 'match', 'matches')}, you see ${levelText(cell)}`}${cell.limitedBy === 'give_to_get' ? ' (narrowed by give-to-get)' : cell.limitedBy === 'not_contributed' ? ' (a population not contributed)' : ''}`;
    lines.push(head);
    lines.push(`  play: ${cell.rule.play}; ${actsText(cell.rule.acts)}${cell.rule.note ? `. ${cell.rule.note}` : ''}`);
    const matches = view.matches.filter((m) => m.cell.mine === cell.mine && m.cell.theirs === cell.theirs);
    lines.push(...indent(matches.slice(0, limit).map(matchLine), '    '));
    if (matches.length > limit) lines.push(`    … and ${matches.length - limit} more (accord results --json, or accord export)`);
  }
  return lines;
}

/** The first lines of a view, clear or blind: which run, released when, the result hash, the 9-box. */
export function headLines(head: ResultsHead, box: NineBox, blind = false): string[] {
  return [
    `Results of run ${head.runId} of ${head.agreementId}${blind ? ' (matched blind)' : ''}: ${head.status === 'released' ? `released ${when(head.releasedAt ?? undefined)}` : 'awaiting approval'}${head.expiresAt ? `, kept until ${when(head.expiresAt)}` : ''}; you are the ${head.side}`,
    `Result hash: ${head.resultHash}`,
    '',
    'The 9-box (matched accounts; your populations in rows, your partner’s in columns):',
    ...indent(nineBoxTable(box)),
    '',
  ];
}

/** `limit`: at most this many accounts per cell. */
export function resultsLines(view: ResultsView, limit = Infinity): string[] {
  return [
    ...headLines(view, view),
    `Cell by cell (${plural(view.matches.length, 'visible match', 'visible matches')}, ${view.newCount} new, ${view.flaggedCount} flagged):`,
    ...indent(cellLines(view, limit)),
  ];
}

function seenOfMeLines(seen: SeenOfMe, limit: number): string[] {
  const lines: string[] = [];
  for (const cell of seen.cells) {
    const what = cell.level === 'hidden' ? 'nothing' : cell.level === 'count' ? 'a count' : `your accounts (name, domain${cell.fields.length ? `, ${cell.fields.join(', ')}` : ''})`;
    lines.push(`your ${PLURAL[cell.mine]} × their ${PLURAL[cell.theirs]}: they see ${what}${cell.count !== null ? ` (${plural(cell.count, 'match', 'matches')})` : ''}${cell.shownInPreview ? '' : ' (not shown here: your own level of the cell is lower)'}`);
    const matches = seen.matches.filter((m) => m.cell.mine === cell.mine && m.cell.theirs === cell.theirs);
    for (const match of matches.slice(0, limit)) lines.push(`    ${match.accounts.map((a) => `${a.name}${a.domain ? ` (${a.domain})` : ''}`).join('; ')}`);
    if (matches.length > limit) lines.push(`    … and ${matches.length - limit} more`);
  }
  return lines;
}

/** The first lines of a preview, clear or blind: what awaits whose approval, the hash, and the 9-box you will see. */
export function previewHeadLines(preview: Pick<ResultsPreview, 'runId' | 'agreementId' | 'approvalDeadline' | 'approved' | 'resultHash'>, box: NineBox): string[] {
  return [
    `Results of run ${preview.runId} of ${preview.agreementId} await approval until ${when(preview.approvalDeadline)}; approved by you: ${preview.approved.mine ? 'yes' : 'no'}, by your partner: ${preview.approved.theirs ? 'yes' : 'no'}`,
    `Result hash: ${preview.resultHash}`,
    '',
    'You will see (your populations in rows, your partner’s in columns):',
    ...indent(nineBoxTable(box)),
    '',
  ];
}

/** What an approver reads before approving a run's results: both directions. */
export function previewLines(preview: ResultsPreview, limit = Infinity): string[] {
  return [
    ...previewHeadLines(preview, preview.youWillSee),
    ...indent(cellLines(preview.youWillSee, limit)),
    '',
    'Your partner will see of your accounts:',
    ...indent(seenOfMeLines(preview.theyWillSee, limit)),
  ];
}
