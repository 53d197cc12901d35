import { z } from 'zod';
import { AgreementIdSchema, RunIdSchema } from './agreement.ts';
import { SHA256_HASH_PATTERN } from './canonical-json.ts';
import { idPattern } from './ids.ts';
import { PopulationSchema, SideSchema, VisibilityLevelSchema } from './terms.ts';

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
