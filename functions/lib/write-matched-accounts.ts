import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { contributionObjectKey, maxUploadBytes } from '../../shared/contributions/contribution.ts';
import { type AccountRow, validateContribution } from '../../shared/contributions/validate.ts';
import type { MatchPair } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { type MatchedAccountRow, resultsObjectKeys } from '../../shared/results-objects.ts';
import type { Run } from '../../shared/run.ts';
import type { Side, Terms } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';
import { contributionStore } from './stores.ts';

/**
 * TEMPORARY (release branch): writes accounts-{proposer,counterparty}.jsonl
 * by reading each side's counted contribution again, until the matching
 * step writes them itself (the scale-out work). Delete this module and its
 * one call in functions/tasks/match-run.ts when that lands.
 */
export async function writeMatchedAccounts(run: Run, pairs: readonly MatchPair[], terms: Pick<Terms, 'populations'>): Promise<void> {
  const keys = resultsObjectKeys(run);
  for (const side of ['proposer', 'counterparty'] as const satisfies readonly Side[]) {
    const refs = new Set(pairs.flatMap((pair) => (side === 'proposer' ? pair.a : pair.b)));
    const counted = run.contributions[side];
    const contribution = counted ? await contributionStore().get(run.agreementId, run.id, counted.contributionId) : undefined;
    if (!contribution) throw new Error(`run ${run.id} has no accepted ${side} contribution`);
    const object = await s3.send(new GetObjectCommand({ Bucket: requireEnv(ENV.uploadsBucket), Key: contributionObjectKey(contribution) }));
    const rows: MatchedAccountRow[] = [];
    await validateContribution(
      object.Body as Readable,
      {
        maxBytes: maxUploadBytes(),
        populations: terms.populations[side],
        ...(contribution.columnMapping ? { columnMapping: contribution.columnMapping } : {}),
        ...(contribution.populationValues ? { populationValues: contribution.populationValues } : {}),
        ...(contribution.defaultPopulation ? { defaultPopulation: contribution.defaultPopulation } : {}),
      },
      (row: AccountRow) => {
        if (!refs.has(row.ref)) return;
        const normalised = normaliseRow(row);
        rows.push({
          ref: row.ref,
          line: row.line,
          population: row.population,
          name: row.name,
          ...(row.website ? { website: row.website } : {}),
          ...(normalised.domainKey ? { domain: normalised.domainKey } : {}),
          fields: { ...(row.country ? { country: row.country } : {}), ...(row.owner ? { owner: row.owner } : {}) },
        });
      },
    );
    const body = rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    await s3.send(new PutObjectCommand({ Bucket: requireEnv(ENV.resultsBucket), Key: keys.accounts[side], Body: body, ContentType: 'application/x-ndjson' }));
  }
}
