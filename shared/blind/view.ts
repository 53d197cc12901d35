import { z } from 'zod';
import type { MatchPair } from '../matching/matcher.ts';
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

/**
 * The released view of a blind run for `side`, from the run's pairs (`a` the
 * proposer's records, `b` the counterparty's). Records within a cell are in
 * the order of the pairs, which is the matcher's canonical order.
 */
export function blindView(terms: Terms, side: Side, pairs: readonly MatchPair[]): BlindView {
  const collected = {} as Record<Population, Record<Population, string[][]>>;
  for (const mine of POPULATIONS) collected[mine] = { customer: [], opportunity: [], prospect: [] };
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
  const row = (mine: Population) => ({ customer: cell(mine, 'customer'), opportunity: cell(mine, 'opportunity'), prospect: cell(mine, 'prospect') });
  return { mode: 'blind', side, cells: { customer: row('customer'), opportunity: row('opportunity'), prospect: row('prospect') } };
}

/**
 * For `side`'s preview before it approves: what the other side will be shown
 * of the overlap — its levels and counts per cell, from its own point of
 * view ([its population][side's population]); never its record references.
 */
export function blindSeenOfMe(terms: Terms, side: Side, pairs: readonly MatchPair[]): BlindView {
  const theirs = blindView(terms, side === 'proposer' ? 'counterparty' : 'proposer', pairs);
  const strip = (cell: BlindCell): BlindCell => (cell.count === undefined ? { level: cell.level } : { level: cell.level, count: cell.count });
  const row = (mine: Population) => ({ customer: strip(theirs.cells[mine].customer), opportunity: strip(theirs.cells[mine].opportunity), prospect: strip(theirs.cells[mine].prospect) });
  return { ...theirs, cells: { customer: row('customer'), opportunity: row('opportunity'), prospect: row('prospect') } };
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
export function ownRowsOfView<Row>(view: BlindView, records: ReadonlyMap<string, Row>): Record<Population, Record<Population, OwnRowsCell<Row>>> {
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
  const row = (mine: Population) => ({ customer: cell(view.cells[mine].customer), opportunity: cell(view.cells[mine].opportunity), prospect: cell(view.cells[mine].prospect) });
  return { customer: row('customer'), opportunity: row('opportunity'), prospect: row('prospect') };
}
