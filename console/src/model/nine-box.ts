import type { CellView, MatchView, ResultsView } from '../../../shared/results.ts';
import type { Population } from '../../../shared/terms.ts';

/**
 * The 9-box as the console draws it: a heat map of the reader's view of a
 * run (shared/results.ts ResultsView), rows of the reader's populations,
 * columns of the partner's, each cell shaded by its count relative to the
 * fullest cell, with its level, its play and the matches it shows.
 */

export const POPULATION_ORDER: readonly Population[] = ['customer', 'opportunity', 'prospect'];

const PLURAL: Record<Population, string> = { customer: 'customers', opportunity: 'opportunities', prospect: 'prospects' };

export function populationWords(population: Population): string {
  return PLURAL[population];
}

/** "your customers × the partner’s prospects" */
export function cellName(cell: { mine: Population; theirs: Population }): string {
  return `your ${PLURAL[cell.mine]} × the partner’s ${PLURAL[cell.theirs]}`;
}

/** Heat from 0 (no matches, or hidden) to 4 (the fullest cell). */
export function heatOf(count: number | null, max: number): 0 | 1 | 2 | 3 | 4 {
  if (count === null || count === 0 || max === 0) return 0;
  return Math.max(1, Math.ceil((count / max) * 4)) as 1 | 2 | 3 | 4;
}

export function cellOf(view: Pick<ResultsView, 'cells'>, mine: Population, theirs: Population): CellView | undefined {
  return view.cells.find((cell) => cell.mine === mine && cell.theirs === theirs);
}

export function maxCount(view: Pick<ResultsView, 'cells'>): number {
  return Math.max(0, ...view.cells.map((cell) => cell.count ?? 0));
}

export function matchesOf(view: Pick<ResultsView, 'matches'>, cell: { mine: Population; theirs: Population }): MatchView[] {
  return view.matches.filter((match) => match.cell.mine === cell.mine && match.cell.theirs === cell.theirs);
}

/** What the cell shows the reader, in words. */
export function levelWords(cell: Pick<CellView, 'level' | 'fields' | 'limitedBy'>): string {
  const base =
    cell.level === 'hidden'
      ? 'hidden'
      : cell.level === 'count'
        ? 'count only'
        : cell.fields.length > 0
          ? `accounts with ${cell.fields.join(', ')}`
          : 'accounts';
  if (cell.limitedBy === 'give_to_get') return `${base} (narrowed by give-to-get)`;
  if (cell.limitedBy === 'not_contributed') return `${base} (a population not contributed)`;
  return base;
}

export function actsWords(acts: CellView['rule']['acts']): string {
  switch (acts) {
    case 'me':
      return 'you act';
    case 'them':
      return 'the partner acts';
    case 'both':
      return 'both act';
    case 'neither':
      return 'neither acts';
  }
}

/** The cell to show first: the fullest one whose accounts the reader may see, else the fullest. */
export function firstCell(view: Pick<ResultsView, 'cells'>): CellView | undefined {
  const byCount = [...view.cells].sort((a, b) => (b.count ?? -1) - (a.count ?? -1));
  return byCount.find((cell) => cell.level === 'accounts' && (cell.count ?? 0) > 0) ?? byCount[0];
}
