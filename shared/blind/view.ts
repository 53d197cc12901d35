import { z } from 'zod';
import { type CsvValue, toCsv } from '../csv.ts';
import type { MatchPair } from '../matching/matcher.ts';
import { ResultsHeadSchema, resultsHead, type ResultsInput, ResultsPreviewSchema } from '../results.ts';
import { type Population, POPULATIONS, type Side, SideSchema, type Terms, VisibilityLevelSchema } from '../terms.ts';
import { effectiveVisibility } from '../visibility.ts';

/**
 * What one side is shown of a blind run: per cell of its 9-box [mine][theirs]
 * the level the terms give it after give-to-get, the count where the level
 * is `count` or `accounts`, and where it is `accounts` the side's OWN record
 * references in that cell — never the other side's. The partner's CLI maps
 * its record references back to its own rows locally: Accord has nothing
 * else to show.
 */

export const BlindCellSchema = z
  .object({
    level: VisibilityLevelSchema,
    count: z.int().optional().describe('matched accounts in the cell; absent when hidden'),
    records: z
      .array(z.array(z.string()))
      .optional()
      .describe('with level "accounts": per matched account, your own record references (several when your list has the account twice)'),
  })
  .meta({ id: 'BlindCell' });
export type BlindCell = z.output<typeof BlindCellSchema>;

const BlindRowSchema = z.object({ customer: BlindCellSchema, opportunity: BlindCellSchema, prospect: BlindCellSchema });

export const BlindViewSchema = z
  .object({
    mode: z.literal('blind'),
    side: SideSchema,
    cells: z.object({ customer: BlindRowSchema, opportunity: BlindRowSchema, prospect: BlindRowSchema }).describe('[my population][their population]'),
  })
  .meta({ id: 'BlindView', description: 'what a side sees of a blind run: counts and its own record references, cell by cell' });
export type BlindView = z.output<typeof BlindViewSchema>;

type Cells<C> = Record<Population, Record<Population, C>>;

/** The nine cells made by `make(mine, theirs)`. */
function cellsOf<C>(make: (mine: Population, theirs: Population) => C): Cells<C> {
  const row = (mine: Population) => ({ customer: make(mine, 'customer'), opportunity: make(mine, 'opportunity'), prospect: make(mine, 'prospect') });
  return { customer: row('customer'), opportunity: row('opportunity'), prospect: row('prospect') };
}

/** The nine cells in the order of a clear view's `cells`: my populations in rows, customer first. */
export function cellList<C>(cells: Cells<C>): (C & { mine: Population; theirs: Population })[] {
  return POPULATIONS.flatMap((mine) => POPULATIONS.map((theirs) => ({ ...cells[mine][theirs], mine, theirs })));
}

/**
 * The released view of a blind run for `side`, from the run's pairs (`a` the
 * proposer's records, `b` the counterparty's). Records within a cell are in
 * the order of the pairs, which is the matcher's canonical order.
 */
export function blindView(terms: Terms, side: Side, pairs: readonly MatchPair[]): BlindView {
  const collected = cellsOf<string[][]>(() => []);
  for (const pair of pairs) {
    const [mine, theirs] = side === 'proposer' ? pair.cell : [pair.cell[1], pair.cell[0]];
    collected[mine][theirs].push(side === 'proposer' ? [...pair.a] : [...pair.b]);
  }
  const cell = (mine: Population, theirs: Population): BlindCell => {
    const { level } = effectiveVisibility(terms, side, mine, theirs);
    const records = collected[mine][theirs];
    if (level === 'hidden') return { level };
    if (level === 'count') return { level, count: records.length };
    return { level, count: records.length, records };
  };
  return { mode: 'blind', side, cells: cellsOf(cell) };
}

/**
 * For `side`'s preview before it approves: what the other side will be shown
 * of the overlap — its levels and counts per cell, from its own point of
 * view ([its population][side's population]); never its record references.
 */
export function blindSeenOfMe(terms: Terms, side: Side, pairs: readonly MatchPair[]): BlindView {
  const theirs = blindView(terms, side === 'proposer' ? 'counterparty' : 'proposer', pairs);
  const strip = (cell: BlindCell): BlindCell => (cell.count === undefined ? { level: cell.level } : { level: cell.level, count: cell.count });
  return { ...theirs, cells: cellsOf((mine, other) => strip(theirs.cells[mine][other])) };
}

/** A cell of a blind view with the side's own rows in place of its record references (what the CLI shows). */
export interface OwnRowsCell<Row> {
  level: BlindCell['level'];
  count?: number;
  /** Per matched account, the side's own rows; a record the map does not know is left out (and counted in `unknown`). */
  accounts?: Row[][];
  unknown?: number;
}

/**
 * Maps a released blind view back to the side's own rows, with the map the
 * client kept when it blinded its list (record reference → row). Runs on the
 * partner's machine only.
 */
export function ownRowsOfView<Row>(view: Pick<BlindView, 'cells'>, records: ReadonlyMap<string, Row>): Cells<OwnRowsCell<Row>> {
  const cell = (blind: BlindCell): OwnRowsCell<Row> => {
    if (blind.records === undefined) return { level: blind.level, ...(blind.count === undefined ? {} : { count: blind.count }) };
    let unknown = 0;
    const accounts = blind.records.map((account) =>
      account.flatMap((record) => {
        const row = records.get(record);
        if (row === undefined) unknown++;
        return row === undefined ? [] : [row];
      }),
    );
    return { level: blind.level, ...(blind.count === undefined ? {} : { count: blind.count }), accounts, ...(unknown > 0 ? { unknown } : {}) };
  };
  return cellsOf((mine, theirs) => cell(view.cells[mine][theirs]));
}

// ---------------------------------------------------------------------------
// What the results routes answer for a blind run (functions/api/results-routes.ts)

export const BlindResultsViewSchema = ResultsHeadSchema.extend({ mode: BlindViewSchema.shape.mode, cells: BlindViewSchema.shape.cells }).meta({
  id: 'BlindResultsView',
  description: 'what one party sees of a blind run: per cell its level, the count, and with level accounts its own record references; never anything of the other side',
});
export type BlindResultsView = z.output<typeof BlindResultsViewSchema>;

export const BlindResultsPreviewSchema = ResultsPreviewSchema.extend({
  youWillSee: BlindResultsViewSchema,
  theyWillSee: BlindViewSchema.describe('what the other side will see of the overlap, from its point of view: levels and counts, never references'),
}).meta({ id: 'BlindResultsPreview', description: 'before release of a blind run: what you will see, and what the other side will see' });
export type BlindResultsPreview = z.output<typeof BlindResultsPreviewSchema>;

/** `side`'s view of a blind run: the head of every view and `blindView`'s cells. */
export function blindResultsView(input: ResultsInput, side: Side): BlindResultsView {
  return { ...resultsHead(input, side), ...blindView(input.terms, side, input.pairs) };
}

/**
 * A blind view as CSV (RFC 4180, formula-safe): one line per count-only cell
 * with its count, one line per matched account of an accounts cell with your
 * own record references (space-separated). Hidden cells have no line.
 */
export function blindViewToCsv(view: Pick<BlindView, 'cells'>): string {
  const lines: CsvValue[][] = [];
  for (const cell of cellList(view.cells)) {
    if (cell.level === 'count') lines.push([cell.mine, cell.theirs, cell.level, cell.count, '']);
    for (const records of cell.records ?? []) lines.push([cell.mine, cell.theirs, cell.level, cell.count, records.join(' ')]);
  }
  return toCsv(['my_population', 'their_population', 'level', 'count', 'my_records'], lines);
}
