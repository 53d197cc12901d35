import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { type AccountRow, FileRejection, readAndJudge, validateContribution, type ValidationOptions, type ValidationReport } from '../contributions/validate.ts';
import { CsvParser, DEFAULT_CSV_LIMITS, type Delimiter } from '../contributions/csv-reader.ts';
import { headerKey, KNOWN_HEADERS } from '../contributions/columns.ts';
import { normaliseRow } from '../matching/pipeline.ts';
import { type Population, POPULATIONS } from '../terms.ts';
import type { RunSecret } from './secret.ts';
import { type BlindColumn, blindColumns, type BlindMatching, RECORD_PATTERN } from './format.ts';
import { blindToken, domainLabel, TOKEN_PATTERN } from './tokens.ts';

/**
 * A blind contribution: what a partner uploads to an agreement whose terms
 * say `matching.mode: "blind"`. A CSV file (UTF-8, comma-separated, a header
 * line) with one row per account row of the partner's own list, in the
 * list's order:
 *
 * | column | holds |
 * | --- | --- |
 * | `record` | a random reference the client made for the row (16 base64url characters): never the row's id or line; the client alone maps it back |
 * | `population` | `customer`, `opportunity` or `prospect` |
 * | `domainToken` | token of the registrable domain (when the terms match on domain) |
 * | `labelToken` | token of the domain's label before the public suffix (when the terms match on domain and name): the clear matcher's website veto |
 * | `nameToken` | token of the name key (when the terms match on name) |
 * | `countryToken` | token of the country (when the terms match on name and say `blindCountry: true`) |
 *
 * A token cell is empty when the row has no such key. The header holds
 * exactly the columns the terms use, in any order: a column the terms do not
 * ask for is refused, so nothing beyond what both sides approved is uploaded.
 */

const Token = z.string().regex(TOKEN_PATTERN, 'must be a token: 22 base64url characters');

export const BlindRowSchema = z
  .strictObject({
    record: z.string().regex(RECORD_PATTERN, 'must be 16 to 64 base64url characters'),
    population: z.enum(POPULATIONS, 'must be customer, opportunity or prospect'),
    domainToken: Token.optional(),
    labelToken: Token.optional(),
    nameToken: Token.optional(),
    countryToken: Token.optional(),
  })
  .refine((row) => row.domainToken !== undefined || row.nameToken !== undefined, { message: 'the row has neither a domainToken nor a nameToken' })
  .refine((row) => row.labelToken === undefined || row.domainToken !== undefined, { path: ['labelToken'], message: 'goes with a domainToken' });
export type BlindRow = z.output<typeof BlindRowSchema>;

// ---------------------------------------------------------------------------
// The client side: rows in, tokens out

/** A random record reference: 12 random bytes, 16 base64url characters. */
export function newRecordReference(): string {
  return randomBytes(12).toString('base64url');
}

export interface BlindedContribution {
  /** The rows to upload, in the order of the input rows that could match. */
  rows: BlindRow[];
  /** Record reference → the original row. Keep it on the partner's machine: it is how results map back. */
  records: Map<string, AccountRow>;
  /** Rows with no key the terms match on (no domain when only domains match, and so on): not uploaded. */
  unmatchable: AccountRow[];
}

/**
 * Blinds a partner's validated rows (shared/contributions/validate.ts) for one
 * run: each row normalised with the matcher's own normalisers
 * (shared/matching/pipeline.ts), each key the terms match on replaced by its
 * token under the run's secret, and a random record reference instead of the
 * row's id. Runs on the partner's machine only.
 */
export function blindContribution(rows: Iterable<AccountRow>, secret: Pick<RunSecret, 'key'>, matching: BlindMatching): BlindedContribution {
  const out: BlindedContribution = { rows: [], records: new Map(), unmatchable: [] };
  for (const row of rows) {
    const account = normaliseRow(row);
    const blind: BlindRow = { record: '', population: account.population };
    if (matching.domain && account.domainKey !== undefined) {
      blind.domainToken = blindToken(secret.key, 'domain', account.domainKey);
      if (matching.name) blind.labelToken = blindToken(secret.key, 'label', domainLabel(account.domainKey));
    }
    if (matching.name && account.nameKey !== '') {
      blind.nameToken = blindToken(secret.key, 'name', account.nameKey);
      if (matching.blindCountry === true && account.country !== undefined) blind.countryToken = blindToken(secret.key, 'country', account.country);
    }
    if (blind.domainToken === undefined && blind.nameToken === undefined) {
      out.unmatchable.push(row);
      continue;
    }
    let record = newRecordReference();
    while (out.records.has(record)) record = newRecordReference();
    blind.record = record;
    out.records.set(record, row);
    out.rows.push(blind);
  }
  return out;
}

/** A blind contribution as the CSV file to upload: the header of `blindColumns(matching)`, one line per row. */
export function blindContributionCsv(rows: Iterable<BlindRow>, matching: BlindMatching): string {
  const columns = blindColumns(matching);
  let csv = `${columns.join(',')}\n`;
  for (const row of rows) csv += `${columns.map((column) => row[column] ?? '').join(',')}\n`;
  return csv;
}

export interface BlindedFile extends BlindedContribution {
  /** The clear validator's report on the partner's own file, as the server would have made it. */
  report: ValidationReport;
  /** The file to upload: empty when the report rejects the list. */
  csv: string;
}

/**
 * The whole client side for a CLI: reads the partner's CRM export with the
 * server's own validator (same columns, populations and rejections), blinds
 * the accepted rows and writes the blind CSV. Nothing is sent anywhere.
 */
export async function blindContributionFile(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: ValidationOptions,
  secret: Pick<RunSecret, 'key'>,
  matching: BlindMatching,
): Promise<BlindedFile> {
  const rows: AccountRow[] = [];
  const report = await validateContribution(input, options, (row) => rows.push(row));
  if (report.verdict !== 'accepted') return { report, csv: '', rows: [], records: new Map(), unmatchable: [] };
  const blinded = blindContribution(rows, secret, matching);
  return { report, csv: blindContributionCsv(blinded.rows, matching), ...blinded };
}

// ---------------------------------------------------------------------------
// The server side: a streaming validator

export interface BlindValidationOptions {
  matching: BlindMatching;
  /** The populations this side contributes under the terms. */
  populations?: readonly Population[];
  maxBytes?: number;
  maxBadRowShare?: number;
}

const MAX_REJECTIONS_KEPT = 100;
const CLEAR_HEADER_KEYS = new Set(
  (['name', 'domain', 'email', 'country', 'owner'] as const).flatMap((field) => KNOWN_HEADERS[field].map(headerKey)),
);

function listed(columns: readonly string[]): string {
  return columns.map((column) => `"${column}"`).join(', ');
}

/**
 * Validates a blind contribution as it streams in, with the reasons and line
 * numbers of the clear validator. A reason never quotes a value of the file:
 * a clear list uploaded by mistake must not be copied into the report. Rows
 * are handed to `onRow` as they are accepted; discard them when the verdict
 * is `rejected`.
 */
export async function validateBlindContribution(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: BlindValidationOptions,
  onRow?: (row: BlindRow, line: number) => void,
): Promise<ValidationReport> {
  const expected = blindColumns(options.matching);
  const allowed = new Set<Population>(options.populations ?? POPULATIONS);
  const maxBadRowShare = options.maxBadRowShare ?? 0.1;
  const report: ValidationReport = {
    verdict: 'accepted',
    rowsRead: 0,
    accepted: 0,
    rejected: 0,
    rejections: [],
    populations: { customer: 0, opportunity: 0, prospect: 0 },
    columns: {},
    delimiter: ',',
    bytes: 0,
  };
  let at: Partial<Record<BlindColumn, number>> = {};
  let width = 0;
  const reject = (line: number, reason: string) => {
    report.rejected++;
    if (report.rejections.length < MAX_REJECTIONS_KEPT) report.rejections.push({ line, reason });
  };

  const parser = new CsvParser(
    {
      header(fields: string[], delimiter: Delimiter) {
        report.delimiter = delimiter;
        const header = fields.map((field) => field.trim());
        if (!header.includes('record') && header.some((field) => CLEAR_HEADER_KEYS.has(headerKey(field)))) {
          throw new FileRejection(
            'this agreement matches blind: upload the blind contribution that `accord contribute --blind` makes from your list ' +
              `(columns ${listed(expected)}), never the account list itself`,
          );
        }
        const unknown = header.filter((field) => !(expected as readonly string[]).includes(field));
        const missing = expected.filter((column) => !header.includes(column));
        const twice = header.filter((field, index) => header.indexOf(field) !== index);
        if (unknown.length > 0 || missing.length > 0 || twice.length > 0) {
          const problems = [
            ...(missing.length > 0 ? [`it lacks ${listed(missing)}`] : []),
            ...(unknown.length > 0 ? [`the terms do not ask for ${listed(unknown)}`] : []),
            ...(twice.length > 0 ? [`it repeats ${listed([...new Set(twice)])}`] : []),
          ];
          throw new FileRejection(`a blind contribution under these terms has exactly the columns ${listed(expected)}: ${problems.join('; ')}`);
        }
        at = Object.fromEntries(expected.map((column) => [column, header.indexOf(column)]));
        width = header.length;
        report.columns = Object.fromEntries(expected.map((column) => [column, column]));
      },

      record(fields: string[], line: number) {
        if (fields.every((field) => field.trim() === '')) return;
        report.rowsRead++;
        if (fields.length !== width) {
          reject(line, `the row has ${fields.length} fields where the header has ${width}`);
          return;
        }
        const candidate: Record<string, string> = {};
        for (const column of expected) {
          const value = fields[at[column]!]!.trim();
          if (value !== '') candidate[column] = value;
        }
        const checked = BlindRowSchema.safeParse(candidate);
        if (!checked.success) {
          reject(line, checked.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message)).join('; '));
          return;
        }
        const row = checked.data;
        if (!allowed.has(row.population)) {
          reject(line, `the row is ${row.population === 'opportunity' ? 'an' : 'a'} ${row.population}, which this side does not contribute under the terms`);
          return;
        }
        report.accepted++;
        report.populations[row.population]++;
        onRow?.(row, line);
      },

      badRecord(line: number, reason: string) {
        report.rowsRead++;
        reject(line, reason);
      },
    },
    { maxBytes: options.maxBytes ?? DEFAULT_CSV_LIMITS.maxBytes, maxFieldBytes: 1024, maxLineLength: 4096 },
  );

  return readAndJudge(parser, input, report, maxBadRowShare);
}
