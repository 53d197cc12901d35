import { describe, expect, it } from 'vitest';
import { idPattern } from '../../shared/ids.ts';
import { matchIdOf, resultsObjectKeys } from '../../shared/results-objects.ts';

describe('results objects', () => {
  it('keeps every object of a run under one prefix', () => {
    const keys = resultsObjectKeys({ agreementId: 'agr_1', id: 'run_2' });
    expect(keys.pairs).toBe('results/agr_1/run_2/pairs.jsonl');
    expect(keys.accounts.proposer).toBe('results/agr_1/run_2/accounts-proposer.jsonl');
    expect(keys.accounts.counterparty).toBe('results/agr_1/run_2/accounts-counterparty.jsonl');
  });

  it('names a match by run and refs, whatever their order', () => {
    const id = matchIdOf('run_x', { a: ['2', '1'], b: ['9'] });
    expect(id).toMatch(idPattern('match'));
    expect(matchIdOf('run_x', { a: ['1', '2'], b: ['9'] })).toBe(id);
    expect(matchIdOf('run_y', { a: ['1', '2'], b: ['9'] })).not.toBe(id);
    expect(matchIdOf('run_x', { a: ['1'], b: ['2', '9'] })).not.toBe(id);
  });
});
