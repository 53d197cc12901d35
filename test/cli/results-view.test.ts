import { describe, expect, it } from 'vitest';
import { nineBoxTable, previewLines, resultsLines } from '../../cli/results-view.ts';
import { ResultsPreviewSchema, ResultsViewSchema } from '../../shared/results.ts';
import { POPULATIONS } from '../../shared/terms.ts';

/** The results as the terminal shows them: the 9-box cell by cell, accounts only where the view carries them. */

const rule = { play: 'co-sell', acts: 'both' as const, note: '' };
const cells = POPULATIONS.flatMap((mine) =>
  POPULATIONS.map((theirs) => {
    if (mine === 'customer' && theirs === 'customer') return { mine, theirs, level: 'accounts' as const, fields: ['industry'], count: 2, rule: { ...rule, play: 'retention and expansion', note: 'Plan joint QBRs.' } };
    if (mine === 'customer' && theirs === 'prospect') return { mine, theirs, level: 'count' as const, fields: [], count: 7, rule: { ...rule, acts: 'me' as const } };
    if (mine === 'prospect') return { mine, theirs, level: 'hidden' as const, fields: [], count: null, rule, limitedBy: 'give_to_get' as const };
    return { mine, theirs, level: 'count' as const, fields: [], count: 0, rule };
  }),
);
const view = ResultsViewSchema.parse({
  agreementId: 'agr_00000000000000000001',
  runId: 'run_00000000000000000001',
  side: 'proposer',
  status: 'released',
  resultHash: `sha256:${'a'.repeat(64)}`,
  releasedAt: '2026-11-23T10:00:00.000Z',
  expiresAt: '2027-02-21T10:00:00.000Z',
  nineBox: { customer: { customer: 2, opportunity: 0, prospect: 7 }, opportunity: { customer: 0, opportunity: 0, prospect: 0 }, prospect: { customer: null, opportunity: null, prospect: null } },
  cells,
  matches: [
    {
      matchId: 'mch_00000000000000000001',
      cell: { mine: 'customer', theirs: 'customer' },
      method: 'domain',
      score: 1,
      isNew: true,
      flagged: false,
      flags: [],
      mine: [{ ref: 'A-17', line: 3, name: 'Initech', population: 'customer', fields: {} }],
      theirs: [{ name: 'Initech GmbH', domain: 'initech.com', fields: { industry: 'Software' } }],
    },
    {
      matchId: 'mch_00000000000000000002',
      cell: { mine: 'customer', theirs: 'customer' },
      method: 'name',
      score: 0.93,
      isNew: false,
      flagged: true,
      flags: [{ by: 'them', reason: 'different company', at: '2026-11-23T11:00:00.000Z' }],
      mine: [{ ref: '5', line: 5, name: 'Umbrella', population: 'customer', fields: {} }],
      theirs: [{ name: 'Umbrella Corp', fields: {} }],
    },
  ],
  newCount: 1,
  flaggedCount: 1,
});

describe('the results in the terminal', () => {
  it('draws the 9-box with counts, and "hidden" where the terms hide a cell', () => {
    expect(nineBoxTable(view)).toEqual([
      'YOU \\ PARTNER  customers  opportunities  prospects',
      'customers              2              0          7',
      'opportunities          0              0          0',
      'prospects         hidden         hidden     hidden',
    ]);
  });

  it('lists each cell with its level and play, and accounts only under cells at level accounts', () => {
    const text = resultsLines(view).join('\n');
    expect(text).toContain('your customers × their customers: 2 matches, you see accounts (name, domain, industry)');
    expect(text).toContain('play: retention and expansion; both act. Plan joint QBRs.');
    expect(text).toContain('Initech GmbH (initech.com) industry=Software  ↔  yours: Initech [A-17]  — domain, new  mch_00000000000000000001');
    expect(text).toContain('Umbrella Corp  ↔  yours: Umbrella [line 5]  — name 93%, flagged  mch_00000000000000000002');
    expect(text).toContain('your customers × their prospects: 7 matches, you see the count only');
    expect(text).toContain('your prospects × their customers: hidden, you see nothing (narrowed by give-to-get)');
    // The two matches are listed once each, under their own cell.
    const lines = text.split('\n');
    const cellAt = lines.findIndex((line) => line.includes('your customers × their customers'));
    const nextCell = lines.findIndex((line, index) => index > cellAt && line.includes('your customers × their opportunities'));
    expect(lines.slice(cellAt, nextCell).filter((line) => line.includes('mch_'))).toHaveLength(2);
    expect(lines.filter((line) => line.includes('mch_'))).toHaveLength(2);
  });

  it('shows an approver both directions before release', () => {
    const preview = ResultsPreviewSchema.parse({
      agreementId: view.agreementId,
      runId: view.runId,
      side: 'proposer',
      status: 'awaiting_approval',
      resultHash: view.resultHash,
      approvalDeadline: '2026-11-30T10:00:00.000Z',
      approved: { mine: false, theirs: true },
      youWillSee: { ...view, status: 'awaiting_approval', releasedAt: null },
      theyWillSee: {
        side: 'counterparty',
        cells: [{ mine: 'customer', theirs: 'customer', level: 'accounts', fields: [], count: 2, shownInPreview: true }],
        matches: [{ matchId: 'mch_00000000000000000001', cell: { mine: 'customer', theirs: 'customer' }, accounts: [{ name: 'Initech', domain: 'initech.com', fields: {} }] }],
      },
    });
    const text = previewLines(preview).join('\n');
    expect(text).toContain('approved by you: no, by your partner: yes');
    expect(text).toContain('Your partner will see of your accounts:');
    expect(text).toContain('your customers × their customers: they see your accounts (name, domain) (2 matches)');
    expect(text).toContain('    Initech (initech.com)');
  });
});
