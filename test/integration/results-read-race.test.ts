import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3 } from '../../functions/lib/clients.ts';
import { loadResultsInput } from '../../functions/lib/results-view.ts';
import { agreementStore } from '../../functions/lib/stores.ts';
import { ENV } from '../../infra/definitions.ts';
import { GoneError } from '../../shared/errors.ts';
import { resultsObjectKeys } from '../../shared/results-objects.ts';
import { useTestApi } from '../support/api-client.ts';
import { matchedRun, release } from '../support/released-run.ts';

/**
 * A reader that read the run just before the results expired finds the
 * objects gone: its 410 says why, from the run read again (expired), not
 * a bare "deleted".
 */

const api = useTestApi();
const csv = (header: string, rows: string[]) => [header, ...rows, ...Array.from({ length: 10 }, (_, i) => `${header.slice(0, 4)} Filler ${i},${header.slice(0, 4).toLowerCase()}-filler${i}.example,Customer`), ''].join('\n');

describe('reading results while they expire', () => {
  it('answers results_expired when the objects went between reading the run and reading them', async () => {
    const matched = await matchedRun(api, {
      terms: {},
      proposerCsv: csv('Account Name,Website,Type', ['Initech,initech.com,Customer', 'Hooli,hooli.com,Prospect']),
      counterpartyCsv: csv('Company,Domain,Stage', ['Initech Inc.,initech.com,Customer', 'Hooli,hooli.com,Customer']),
    });
    const { agreementId, runId } = await release(api, matched);
    const stored = await agreementStore().get(agreementId);
    const staleRun = await agreementStore().getRun(agreementId, runId);
    if (!stored || !staleRun?.release) throw new Error('the released run was not stored');
    expect(staleRun.status).toBe('released');

    // The expiry marks the run, then deletes the objects; this reader still holds the run it read before.
    const at = new Date().toISOString();
    await agreementStore().saveRun({ ...staleRun, status: 'expired', release: { ...staleRun.release, resultsDeleted: { at, because: 'expired' } }, version: staleRun.version + 1 }, staleRun.version);
    await s3.send(new DeleteObjectCommand({ Bucket: process.env[ENV.resultsBucket], Key: resultsObjectKeys(staleRun).pairs }));

    const refused = await loadResultsInput(stored.agreement, staleRun).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(GoneError);
    expect(refused).toMatchObject({ code: 'results_expired' });
  });
});
