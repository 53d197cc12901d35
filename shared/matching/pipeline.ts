/**
 * The contribution pipeline shared by the matching task, the dry-run CLI
 * (`npm run match`) and the benchmark: a contribution stream goes through
 * the streaming validation, each accepted row is normalised (registrable
 * domain, name key, country) into the matcher's compact account table.
 * `MatchThreads` (threads.ts) runs it in worker threads.
 */
import { type AccountRow, validateContribution, type ValidationOptions, type ValidationReport } from '../contributions/validate.ts';
import { AccountTable, type NormalisedAccount } from './account-table.ts';
import { domainKey } from './domain-key.ts';
import { nameKey } from './name-key.ts';

/** Country-code TLDs that companies everywhere use as generic ones: they say nothing of a country. */
const GENERIC_CCTLDS = new Set(['ai', 'io', 'co', 'me', 'tv', 'ly', 'fm', 'gg', 'to', 'cc', 'ws', 'sh', 'ac', 'am', 'la', 'nu', 'so', 'vc', 'xyz']);

/**
 * The matcher's country: an ISO 3166 alpha-2 code when the row's country is
 * written as one (any case; UK is GB), else the country of the domain's
 * country-code TLD (acme.de: DE) when the row has no country at all; unknown
 * otherwise. A country only ever keeps two names apart, so unknown is safe.
 */
export function countryKey(country: string | undefined, domain: string | undefined): string | undefined {
  const written = country?.trim() ?? '';
  if (written !== '') {
    const code = written.toUpperCase();
    if (!/^[A-Z]{2}$/.test(code)) return undefined;
    return code === 'UK' ? 'GB' : code;
  }
  if (domain === undefined) return undefined;
  const tld = domain.slice(domain.lastIndexOf('.') + 1);
  if (tld.length !== 2 || GENERIC_CCTLDS.has(tld) || !/^[a-z]{2}$/.test(tld)) return undefined;
  return tld === 'uk' ? 'GB' : tld.toUpperCase();
}

/** The registrable domain of a validated row: its website's, else its e-mail's. */
function rowDomain(row: AccountRow): string | undefined {
  return (row.website ? domainKey(row.website) : undefined) ?? (row.email ? domainKey(row.email) : undefined);
}

/** A validated row as the matcher's input. */
export function normaliseRow(row: AccountRow): NormalisedAccount {
  const domain = rowDomain(row);
  const country = countryKey(row.country, domain);
  return {
    ref: row.ref,
    population: row.population,
    nameKey: nameKey(row.name),
    ...(domain === undefined ? {} : { domainKey: domain }),
    ...(country === undefined ? {} : { country }),
  };
}

/** The same, straight into a table, without an object per row. */
export function addNormalisedRow(table: AccountTable, row: AccountRow): void {
  const domain = rowDomain(row);
  table.addRow(row.ref, row.population, nameKey(row.name), domain, countryKey(row.country, domain));
}

export interface ReadSide {
  table: AccountTable;
  report: ValidationReport;
  /** Validation and normalisation, milliseconds. */
  ms: number;
  /** Building the side's index, milliseconds (when read in a worker thread: threads.ts). */
  indexMs?: number;
}

/** Validates and normalises one contribution into an account table. */
export async function readSide(input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream, options: ValidationOptions = {}): Promise<ReadSide> {
  const started = performance.now();
  const table = new AccountTable();
  const report = await validateContribution(input, options, (row) => addNormalisedRow(table, row));
  return { table: report.verdict === 'accepted' ? table : new AccountTable(), report, ms: Math.round(performance.now() - started) };
}
