import { z } from 'zod';
import { AgreementIdSchema, RunIdSchema } from './agreement.ts';
import { canonicalHash, SHA256_HASH_PATTERN, type Sha256Hash } from './canonical-json.ts';
import { type CsvValue, toCsv } from './csv.ts';
import { overlapKeysOf } from './flags.ts';
import { idPattern } from './ids.ts';
import type { MatchPair } from './matching/matcher.ts';
import { type MatchedAccountRow, matchIdOf } from './results-objects.ts';
import { otherSide, type Population, POPULATIONS, PopulationSchema, ruleOfEngagement, type Side, SideSchema, type Terms, VisibilityLevelSchema } from './terms.ts';
import { effectiveVisibilityMatrix, VISIBILITY_RANK } from './visibility.ts';

/**
 * What each party sees of a run's results, and how it approves them. The
 * view is derived at read time from the run's pairs, its matched accounts
 * (shared/results-objects.ts) and the terms; nothing of it is stored. See
 * docs/results.md.
 */

// ---------------------------------------------------------------------------
// Schemas: the contract of the results routes (functions/api/results-routes.ts)

export const ResultHashSchema = z
  .string()
  .regex(SHA256_HASH_PATTERN, 'must be a result hash: sha256: and 64 hex digits')
  .meta({
    id: 'ResultHash',
    description: 'sha256: + hex SHA-256 over the canonical JSON of the terms hash and the digests of the run’s pairs and matched-accounts objects',
  });

export const MatchIdSchema = z.string().regex(idPattern('match'), 'must be a match id (mch_...)');

const Timestamp = z.iso.datetime().describe('ISO-8601 UTC');
const Reason = z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters');

export const RuleViewSchema = z
  .object({
    play: z.string().describe('the play of the cell, as the 9-box names it'),
    acts: z.enum(['me', 'them', 'both', 'neither']).describe('who acts on the accounts of the cell, seen from the reader'),
    note: z.string(),
  })
  .meta({ id: 'RuleView', description: 'the rule of engagement of a cell from one side’s point of view' });

export const OwnMatchedRowSchema = z
  .object({
    ref: z.string().describe('your row’s id column, else its line number: find it in your CRM by this'),
    line: z.int(),
    name: z.string(),
    website: z.string().optional(),
    domain: z.string().optional().describe('the registrable domain the matcher used'),
    population: PopulationSchema,
    fields: z.record(z.string(), z.string()).describe('your row’s other columns, as you contributed them'),
  })
  .meta({ id: 'OwnMatchedRow', description: 'one of your own rows that is part of a match' });

export const VisibleAccountSchema = z
  .object({
    name: z.string(),
    domain: z.string().optional().describe('the registrable domain of the account'),
    fields: z.record(z.string(), z.string()).describe('only the extra fields the terms name for the cell; empty when they name none'),
  })
  .meta({ id: 'VisibleAccount', description: 'one of the other side’s matched rows, as the terms let you see it' });

export const FlagNoteSchema = z
  .object({
    by: z.enum(['me', 'them']).describe('which side flagged the match'),
    reason: z.string(),
    at: Timestamp,
  })
  .meta({ id: 'FlagNote' });

export const CellRefSchema = z.object({ mine: PopulationSchema, theirs: PopulationSchema });

export const MatchViewSchema = z
  .object({
    matchId: MatchIdSchema,
    cell: CellRefSchema,
    method: z.enum(['domain', 'name']),
    score: z.number().describe('1 for a domain match; the name similarity for a name match'),
    isNew: z.boolean().describe('not in the previous released run of the agreement (every match of the first released run is new)'),
    flagged: z.boolean().describe('either side flagged the match as wrong; it is left out of later runs'),
    flags: z.array(FlagNoteSchema),
    mine: z.array(OwnMatchedRowSchema).describe('your rows in the match'),
    theirs: z.array(VisibleAccountSchema).describe('the other side’s rows in the match, as the cell’s visibility allows'),
  })
  .meta({ id: 'MatchView', description: 'one match of a cell whose level is accounts' });

export const CellViewSchema = z
  .object({
    mine: PopulationSchema,
    theirs: PopulationSchema,
    level: VisibilityLevelSchema,
    fields: z.array(z.string()).describe('extra fields shown with each account; empty unless level is accounts'),
    limitedBy: z.enum(['give_to_get', 'not_contributed']).optional().describe('why the level is below what the terms write for you'),
    count: z.int().nullable().describe('matches in the cell; null when the cell is hidden'),
    rule: RuleViewSchema,
  })
  .meta({ id: 'CellView', description: 'one cell of the 9-box, [mine][theirs], as the reader sees it' });

const NineBoxRowSchema = z.object({ customer: z.int().nullable(), opportunity: z.int().nullable(), prospect: z.int().nullable() });
export const NineBoxViewSchema = z
  .object({ customer: NineBoxRowSchema, opportunity: NineBoxRowSchema, prospect: NineBoxRowSchema })
  .meta({ id: 'NineBoxView', description: 'matches per cell, [my population][their population]; null where the cell is hidden, never a number' });

export const RESULTS_VIEW_STATUSES = ['awaiting_approval', 'released'] as const;

export const ResultsViewSchema = z
  .object({
    agreementId: AgreementIdSchema,
    runId: RunIdSchema,
    side: SideSchema.describe('the reader’s side'),
    status: z.enum(RESULTS_VIEW_STATUSES),
    resultHash: ResultHashSchema,
    releasedAt: Timestamp.nullable(),
    expiresAt: Timestamp.nullable().describe('when the results are deleted'),
    nineBox: NineBoxViewSchema,
    cells: z.array(CellViewSchema).describe('the nine cells, rows of my populations in order customer, opportunity, prospect'),
    matches: z.array(MatchViewSchema).describe('the matches of the cells at level accounts; none of any other cell'),
    newCount: z.int().describe('matches listed here that are new'),
    flaggedCount: z.int().describe('matches listed here that are flagged'),
  })
  .meta({ id: 'ResultsView', description: 'what one party sees of a run’s results under the terms' });
export type ResultsView = z.output<typeof ResultsViewSchema>;
/** What every view of a run starts with, clear or blind (shared/blind/view.ts). */
export const ResultsHeadSchema = ResultsViewSchema.pick({ agreementId: true, runId: true, side: true, status: true, resultHash: true, releasedAt: true, expiresAt: true });
export type ResultsHead = z.output<typeof ResultsHeadSchema>;
export type MatchView = z.output<typeof MatchViewSchema>;
export type CellView = z.output<typeof CellViewSchema>;
export type OwnMatchedRow = z.output<typeof OwnMatchedRowSchema>;
export type VisibleAccount = z.output<typeof VisibleAccountSchema>;

export const SeenOfMeCellSchema = z
  .object({
    mine: PopulationSchema.describe('your population'),
    theirs: PopulationSchema.describe('their population'),
    level: VisibilityLevelSchema.describe('what they see of your accounts in the cell'),
    fields: z.array(z.string()),
    count: z.int().nullable().describe('how many of your accounts they see counted; null when hidden to them, or when your own level would not show you the count'),
    shownInPreview: z.boolean().describe('false when your own level of the cell is lower (asymmetric terms): the preview does not show you what your level hides'),
  })
  .meta({ id: 'SeenOfMeCell' });

export const SeenOfMeMatchSchema = z
  .object({
    matchId: MatchIdSchema,
    cell: CellRefSchema,
    accounts: z.array(VisibleAccountSchema).describe('your rows, exactly as the other side will see them'),
  })
  .meta({ id: 'SeenOfMeMatch' });

export const SeenOfMeSchema = z
  .object({
    side: SideSchema.describe('the other side, who will see this'),
    cells: z.array(SeenOfMeCellSchema),
    matches: z.array(SeenOfMeMatchSchema),
  })
  .meta({ id: 'SeenOfMe', description: 'what the other side will see of your accounts, cell by cell' });
export type SeenOfMe = z.output<typeof SeenOfMeSchema>;

export const RESULT_APPROVAL_STATUSES = ['awaiting_approval', 'released', 'withheld'] as const;

export const ResultsPreviewSchema = z
  .object({
    agreementId: AgreementIdSchema,
    runId: RunIdSchema,
    side: SideSchema,
    status: z.enum(RESULT_APPROVAL_STATUSES),
    resultHash: ResultHashSchema.describe('approve exactly this'),
    approvalDeadline: Timestamp.describe('without both approvals by then, the results are withheld'),
    approved: z.object({ mine: z.boolean(), theirs: z.boolean() }),
    youWillSee: ResultsViewSchema,
    theyWillSee: SeenOfMeSchema,
  })
  .meta({ id: 'ResultsPreview', description: 'before release: what you will see of the other side, and what it will see of you' });
export type ResultsPreview = z.output<typeof ResultsPreviewSchema>;

export const ResultsQuerySchema = z.object({
  format: z.enum(['json', 'csv']).optional().describe('csv: one line per visible account of the other side (and per count-only cell), as text/csv'),
});

export const ApproveResultsRequestSchema = z
  .strictObject({ resultHash: ResultHashSchema.describe('the hash of the results being approved, from the preview; must be the current one') })
  .meta({ id: 'ApproveResultsRequest' });
export type ApproveResultsRequest = z.input<typeof ApproveResultsRequestSchema>;

export const DeclineResultsRequestSchema = z
  .strictObject({ reason: Reason.optional().describe('why, for the other party and the audit log') })
  .meta({ id: 'DeclineResultsRequest' });
export type DeclineResultsRequest = z.input<typeof DeclineResultsRequestSchema>;

export const FlagMatchRequestSchema = z
  .strictObject({ matchId: MatchIdSchema, reason: Reason.describe('what is wrong with the match') })
  .meta({ id: 'FlagMatchRequest' });
export type FlagMatchRequest = z.input<typeof FlagMatchRequestSchema>;

export const ResultApprovalStateSchema = z
  .object({
    agreementId: AgreementIdSchema,
    runId: RunIdSchema,
    status: z.enum(RESULT_APPROVAL_STATUSES),
    resultHash: ResultHashSchema,
    approvalDeadline: Timestamp,
    approved: z.object({ mine: z.boolean(), theirs: z.boolean() }),
    releasedAt: Timestamp.nullable(),
    expiresAt: Timestamp.nullable(),
  })
  .meta({ id: 'ResultApprovalState', description: 'where the approval of a run’s results stands' });
export type ResultApprovalState = z.output<typeof ResultApprovalStateSchema>;

export const FlagSchema = z
  .object({
    agreementId: AgreementIdSchema,
    runId: RunIdSchema,
    matchId: MatchIdSchema,
    side: SideSchema.describe('the side that flagged'),
    reason: z.string(),
    at: Timestamp,
  })
  .meta({ id: 'Flag', description: 'a released match flagged as wrong by one side: left out of later runs of the agreement' });
export type Flag = z.output<typeof FlagSchema>;

// ---------------------------------------------------------------------------
// The result hash

export interface ResultObjectsDigests {
  /** Hex SHA-256 of the bytes of pairs.jsonl. */
  pairs: string;
  /** Hex SHA-256 of the bytes of accounts-proposer.jsonl and accounts-counterparty.jsonl. */
  accounts: Record<Side, string>;
}

/**
 * What both parties approve: `sha256:` + hex SHA-256 of the canonical JSON
 * (RFC 8785) of `{"format": "accord-results/1", "termsHash", "pairs",
 * "accounts": {"proposer", "counterparty"}}` where the last three are the hex
 * SHA-256 of the run's results objects' bytes. Any change to a pair, to a
 * matched row or to the terms changes it; the view of each side is a pure
 * function of these, so approving the hash approves both views.
 */
export function resultHashOf(termsHash: string, digests: ResultObjectsDigests): Sha256Hash {
  return canonicalHash({ format: 'accord-results/1', termsHash, pairs: digests.pairs, accounts: digests.accounts });
}

// ---------------------------------------------------------------------------
// Views

export interface ResultsInput {
  agreementId: string;
  runId: string;
  terms: Terms;
  /** As the matcher wrote them: `a` holds the proposer's refs, `b` the counterparty's. */
  pairs: readonly MatchPair[];
  /** Each side's matched rows by ref. */
  accounts: Record<Side, ReadonlyMap<string, MatchedAccountRow>>;
  flags: readonly Pick<Flag, 'matchId' | 'side' | 'reason' | 'at'>[];
  /**
   * The overlap keys (shared/flags.ts) of the previous released run's pairs;
   * undefined when there is none, and then every match is new.
   */
  previousKeys: ReadonlySet<string> | undefined;
  status: ResultsView['status'];
  resultHash: string;
  releasedAt?: string | undefined;
  expiresAt?: string | undefined;
}

/** A matched row that a results object should hold but does not: the objects disagree, a bug. */
export class ResultsInconsistentError extends Error {
  override name = 'ResultsInconsistentError';
}

function rowOf(input: ResultsInput, side: Side, ref: string): MatchedAccountRow {
  const row = input.accounts[side].get(ref);
  if (!row) throw new ResultsInconsistentError(`run ${input.runId}: ${side} row ${ref} of a pair is not among the matched accounts`);
  return row;
}

function ownRow(row: MatchedAccountRow): OwnMatchedRow {
  return {
    ref: row.ref,
    line: row.line,
    name: row.name,
    ...(row.website !== undefined ? { website: row.website } : {}),
    ...(row.domain !== undefined ? { domain: row.domain } : {}),
    population: row.population,
    fields: { ...row.fields },
  };
}

/** Name, domain and exactly the named fields: nothing else of the row leaves. */
function visibleAccount(row: MatchedAccountRow, fields: readonly string[]): VisibleAccount {
  const shown: Record<string, string> = {};
  for (const field of fields) {
    const value = row.fields[field];
    if (value !== undefined) shown[field] = value;
  }
  return { name: row.name, ...(row.domain !== undefined ? { domain: row.domain } : {}), fields: shown };
}

interface Oriented {
  pair: MatchPair;
  matchId: string;
  mine: Population;
  theirs: Population;
  myRefs: readonly string[];
  theirRefs: readonly string[];
}

function orient(runId: string, side: Side, pair: MatchPair): Oriented {
  const mineIsA = side === 'proposer';
  return {
    pair,
    matchId: matchIdOf(runId, pair),
    mine: mineIsA ? pair.cell[0] : pair.cell[1],
    theirs: mineIsA ? pair.cell[1] : pair.cell[0],
    myRefs: mineIsA ? pair.a : pair.b,
    theirRefs: mineIsA ? pair.b : pair.a,
  };
}

/** The head of `side`'s view of the run. */
export function resultsHead(input: ResultsInput, side: Side): ResultsHead {
  return {
    agreementId: input.agreementId,
    runId: input.runId,
    side,
    status: input.status,
    resultHash: input.resultHash,
    releasedAt: input.releasedAt ?? null,
    expiresAt: input.expiresAt ?? null,
  };
}

function isNewPair(pair: MatchPair, previousKeys: ReadonlySet<string> | undefined): boolean {
  return previousKeys === undefined || !overlapKeysOf(pair).some((key) => previousKeys.has(key));
}

/**
 * What `side` sees of the run: each of the nine cells with its effective
 * level after give-to-get, its rule of engagement from `side`'s point of view
 * and its count (null when hidden); the matches of the cells at level
 * `accounts` only, with `side`'s own rows and the other side's rows reduced
 * to name, domain and the fields the cell names. A count-only cell carries no
 * match and no row, not even `side`'s own (knowing which of my accounts sit
 * in a cell would tell me the other side's accounts); a hidden cell carries
 * nothing. Accounts of the other side that are in no pair are not an input,
 * so they cannot appear.
 */
export function buildView(input: ResultsInput, side: Side): ResultsView {
  const other = otherSide(side);
  const matrix = effectiveVisibilityMatrix(input.terms, side);
  const counts = new Map<string, number>();
  const oriented = input.pairs.map((pair) => orient(input.runId, side, pair));
  for (const match of oriented) counts.set(`${match.mine}/${match.theirs}`, (counts.get(`${match.mine}/${match.theirs}`) ?? 0) + 1);

  const cells: CellView[] = [];
  const nineBox = {} as Record<Population, Record<Population, number | null>>;
  for (const mine of POPULATIONS) {
    nineBox[mine] = {} as Record<Population, number | null>;
    for (const theirs of POPULATIONS) {
      const visibility = matrix[mine][theirs];
      const count = visibility.level === 'hidden' ? null : (counts.get(`${mine}/${theirs}`) ?? 0);
      nineBox[mine][theirs] = count;
      cells.push({
        mine,
        theirs,
        level: visibility.level,
        fields: [...visibility.fields],
        ...(visibility.limitedBy ? { limitedBy: visibility.limitedBy } : {}),
        count,
        rule: ruleOfEngagement(input.terms, side, mine, theirs),
      });
    }
  }

  const flagsByMatch = new Map<string, Pick<Flag, 'side' | 'reason' | 'at'>[]>();
  for (const flag of input.flags) flagsByMatch.set(flag.matchId, [...(flagsByMatch.get(flag.matchId) ?? []), flag]);

  const matches: MatchView[] = [];
  for (const match of oriented) {
    const visibility = matrix[match.mine][match.theirs];
    if (visibility.level !== 'accounts') continue;
    const flags = (flagsByMatch.get(match.matchId) ?? []).map((flag) => ({ by: flag.side === side ? ('me' as const) : ('them' as const), reason: flag.reason, at: flag.at }));
    matches.push({
      matchId: match.matchId,
      cell: { mine: match.mine, theirs: match.theirs },
      method: match.pair.method,
      score: match.pair.score,
      isNew: isNewPair(match.pair, input.previousKeys),
      flagged: flags.length > 0,
      flags,
      mine: match.myRefs.map((ref) => ownRow(rowOf(input, side, ref))),
      theirs: match.theirRefs.map((ref) => visibleAccount(rowOf(input, other, ref), visibility.fields)),
    });
  }

  return {
    ...resultsHead(input, side),
    nineBox,
    cells,
    matches,
    newCount: matches.filter((match) => match.isNew).length,
    flaggedCount: matches.filter((match) => match.flagged).length,
  };
}

/**
 * What the other side will see of `side`'s accounts, for `side`'s preview.
 * Under give-to-get it mirrors `side`'s own view. Under asymmetric terms the
 * other side may see more of `side` than `side` sees of it; the preview then
 * names the level and fields the other side gets but does not show `side`
 * counts or rows its own level of the cell hides (they would tell it which of
 * its accounts the other side has, and as what).
 */
export function seenOfMe(input: ResultsInput, side: Side): SeenOfMe {
  const other = otherSide(side);
  const mineMatrix = effectiveVisibilityMatrix(input.terms, side);
  const theirMatrix = effectiveVisibilityMatrix(input.terms, other);
  const oriented = input.pairs.map((pair) => orient(input.runId, side, pair));
  const cells: SeenOfMe['cells'] = [];
  for (const mine of POPULATIONS) {
    for (const theirs of POPULATIONS) {
      const theirLevel = theirMatrix[theirs][mine];
      const myLevel = mineMatrix[mine][theirs];
      const shownInPreview = VISIBILITY_RANK[myLevel.level] >= VISIBILITY_RANK[theirLevel.level];
      const countable = theirLevel.level !== 'hidden' && VISIBILITY_RANK[myLevel.level] >= VISIBILITY_RANK.count;
      cells.push({
        mine,
        theirs,
        level: theirLevel.level,
        fields: [...theirLevel.fields],
        count: countable ? oriented.filter((match) => match.mine === mine && match.theirs === theirs).length : null,
        shownInPreview,
      });
    }
  }
  const matches = oriented
    .filter((match) => theirMatrix[match.theirs][match.mine].level === 'accounts' && mineMatrix[match.mine][match.theirs].level === 'accounts')
    .map((match) => ({
      matchId: match.matchId,
      cell: { mine: match.mine, theirs: match.theirs },
      accounts: match.myRefs.map((ref) => visibleAccount(rowOf(input, side, ref), theirMatrix[match.theirs][match.mine].fields)),
    }));
  return { side: other, cells, matches };
}

// ---------------------------------------------------------------------------
// CSV export

/**
 * The view as CSV (RFC 4180, CRLF): one line per visible account of the other
 * side, with the match, its cell and your refs; one line per count-only cell
 * with its count. Hidden cells have no line. The extra-field columns are the
 * union of the fields the cells name, sorted.
 */
export function viewToCsv(view: ResultsView): string {
  const extra = [...new Set(view.cells.flatMap((cell) => cell.fields))].sort();
  const header = ['my_population', 'their_population', 'level', 'count', 'match_id', 'method', 'score', 'is_new', 'flagged', 'my_refs', 'my_names', 'their_name', 'their_domain', ...extra];
  const lines: CsvValue[][] = [];
  for (const cell of view.cells) {
    if (cell.level === 'count') lines.push([cell.mine, cell.theirs, cell.level, cell.count, '', '', '', '', '', '', '', '', '', ...extra.map(() => '')]);
  }
  for (const match of view.matches) {
    const cell = view.cells.find((candidate) => candidate.mine === match.cell.mine && candidate.theirs === match.cell.theirs);
    const myRefs = match.mine.map((row) => row.ref).join(' ');
    const myNames = match.mine.map((row) => row.name).join('; ');
    for (const account of match.theirs) {
      lines.push([
        match.cell.mine,
        match.cell.theirs,
        'accounts',
        cell?.count,
        match.matchId,
        match.method,
        match.score,
        String(match.isNew),
        String(match.flagged),
        myRefs,
        myNames,
        account.name,
        account.domain,
        ...extra.map((field) => account.fields[field] ?? ''),
      ]);
    }
  }
  return toCsv(header, lines);
}
