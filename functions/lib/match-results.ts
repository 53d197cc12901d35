import { PutObjectCommand } from '@aws-sdk/client-s3';
import { completeMatching, SYSTEM_ACTOR, termsOf } from '../../shared/agreement.ts';
import { type AccountRow, validateContribution } from '../../shared/contributions/validate.ts';
import { type MatchOptions, type MatchPair, type MatchResult, nineBox, pairsToJsonLines } from '../../shared/matching/matcher.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';
import { excludeFlagged } from '../../shared/flags.ts';
import { type MatchedAccountRow, resultsObjectKeys } from '../../shared/results-objects.ts';
import type { Run } from '../../shared/run.ts';
import type { Side, Terms } from '../../shared/terms.ts';
import { ENV } from '../../infra/definitions.ts';
import { runAgreementCommand } from './agreement-commands.ts';
import { announce } from './announcements.ts';
import { s3 } from './clients.ts';
import { requireEnv } from './config.ts';
import { contributionSource, openContribution } from './contribution-source.ts';
import { deleteRunUploads } from './delete-uploads.ts';
import { flagStore } from './stores.ts';
import { runUpdate, type StoredAgreement } from '../store/agreement-store.ts';

/** What the matcher reads of the terms. */
export function matchOptionsOf(terms: Terms): MatchOptions {
  return { domain: terms.matching.domain, name: terms.matching.name, fuzzyThreshold: terms.matching.fuzzyThreshold };
}

/**
 * The end of matching, the same whichever way the pairs were found (one task,
 * or the shards of the Distributed Map): the pairs as JSON Lines, each side's
 * matched rows as written, the summary on the run, the agreement on to
 * awaiting release, and the raw uploads deleted (every version) unless the
 * terms keep them.
 */
export async function completeMatch(args: { stored: StoredAgreement; run: Run; result: MatchResult; now: Date; shards?: number }): Promise<{ status: string; pairs: number }> {
  const { stored, run, now } = args;
  // Pairs flagged as wrong in an earlier run of the agreement are left out (shared/flags.ts).
  const result = { ...args.result, pairs: excludeFlagged(args.result.pairs, await flagStore().list(run.agreementId)) };
  const terms = termsOf(stored.agreement.terms);
  const results = requireEnv(ENV.resultsBucket);
  const keys = resultsObjectKeys(run);
  await s3.send(new PutObjectCommand({ Bucket: results, Key: keys.pairs, Body: [...pairsToJsonLines(result.pairs)].join(''), ContentType: 'application/x-ndjson' }));
  const matchedRows = {
    proposer: await writeMatchedAccounts(run, terms, 'proposer', result.pairs),
    counterparty: await writeMatchedAccounts(run, terms, 'counterparty', result.pairs),
  };

  const byMethod: Record<string, number> = {};
  for (const pair of result.pairs) byMethod[pair.method] = (byMethod[pair.method] ?? 0) + 1;
  const matched: Run = {
    ...run,
    status: 'matched',
    version: run.version + 1,
    summary: {
      pairs: result.pairs.length,
      byMethod,
      nineBox: nineBox(result.pairs, 'a'),
      rows: { proposer: result.a.rows, counterparty: result.b.rows },
      accounts: { proposer: result.a.accounts, counterparty: result.b.accounts },
      matchedRows,
      ...(args.shards !== undefined ? { shards: args.shards } : {}),
      resultsKey: keys.pairs,
      matchedAt: now.toISOString(),
    },
  };
  const tableName = requireEnv(ENV.tableName);
  const { agreement } = await runAgreementCommand(
    run.agreementId,
    SYSTEM_ACTOR,
    (current, actor, at) => completeMatching(current, actor, at, { pairs: result.pairs.length }),
    {
      now,
      extraItems: () => [
        runUpdate(tableName, matched, run.version),
        ...announce('results.approval_needed', [stored.agreement.proposerId, stored.agreement.counterpartyId], { agreementId: run.agreementId, runId: run.id }, now, [run.id]),
      ],
    },
  );
  if (terms.retention.deleteUploadsAfterMatching) await deleteRunUploads(run.agreementId, run.id);
  return { status: agreement.status, pairs: result.pairs.length };
}

/**
 * Writes `accounts-{side}.jsonl`: one MatchedAccountRow per row of the side
 * that is part of a pair, in line order. The contribution is read a second
 * time, through the same validation, so only the matched rows are ever held
 * (never the whole file's display values); returns the number of rows written.
 */
export async function writeMatchedAccounts(run: Run, terms: Terms, side: Side, pairs: readonly MatchPair[]): Promise<number> {
  const refs = new Set<string>();
  for (const pair of pairs) for (const ref of side === 'proposer' ? pair.a : pair.b) refs.add(ref);
  const lines: string[] = [];
  // A blind run holds no row of either list: its accounts files stay empty, and each side maps its own records back (shared/blind/view.ts).
  if (refs.size > 0 && terms.matching.mode !== 'blind') {
    const source = await contributionSource(run, terms, side);
    const report = await validateContribution(await openContribution(source), source.options, (row) => {
      if (refs.has(row.ref)) lines.push(`${JSON.stringify(matchedAccountRow(row))}\n`);
    });
    if (report.verdict !== 'accepted') throw new Error(`the ${side} contribution of run ${run.id} no longer validates: ${report.reason ?? 'rejected'}`);
  }
  await s3.send(
    new PutObjectCommand({ Bucket: requireEnv(ENV.resultsBucket), Key: resultsObjectKeys(run).accounts[side], Body: lines.join(''), ContentType: 'application/x-ndjson' }),
  );
  return lines.length;
}

/** A validated row as release shows it: as written, with the registrable domain the matcher used; keys in a fixed order. */
export function matchedAccountRow(row: AccountRow): MatchedAccountRow {
  const domain = normaliseRow(row).domainKey;
  const fields: Record<string, string> = {};
  if (row.country) fields.country = row.country;
  if (row.owner) fields.owner = row.owner;
  return {
    ref: row.ref,
    line: row.line,
    population: row.population,
    name: row.name,
    ...(row.website ? { website: row.website } : {}),
    ...(domain !== undefined ? { domain } : {}),
    fields,
  };
}
