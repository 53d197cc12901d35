import { z } from 'zod';
import { type Population, PopulationSchema, POPULATIONS } from '../terms.ts';
import { ColumnMappingError, ColumnMappingSchema, CONTRIBUTION_FIELDS, type ContributionField, PopulationValuesSchema, populationReader, resolveColumns } from './columns.ts';
import { byteChunks, CsvFileError, CsvParser, DEFAULT_CSV_LIMITS, type Delimiter } from './csv-reader.ts';
import { looksBlind } from '../blind/format.ts';

/**
 * Validation of a contribution as it streams in: the CSV reader's records,
 * mapped to columns, each row checked with zod, counted, and handed to
 * `onRow` when accepted. Nothing is kept per row beyond the counts and the
 * first 100 rejections, so a file of any length validates in bounded memory.
 * docs/csv-reader.md lists the rules and the exact rejection reasons.
 */

export interface AccountRow {
  /** The id column's value, else the line number as a string. */
  ref: string;
  /** The line the row starts on (the header is line 1). */
  line: number;
  name: string;
  /** The website, URL or domain column, as written (normalised later). */
  website?: string;
  email?: string;
  population: Population;
  country?: string;
  owner?: string;
}

export interface ValidationReport {
  verdict: 'accepted' | 'rejected';
  /** Why the file was rejected; absent when accepted. */
  reason?: string;
  /** Records after the header, blank lines not counted. */
  rowsRead: number;
  accepted: number;
  rejected: number;
  /** The first 100 rejected rows, in file order. */
  rejections: { line: number; reason: string }[];
  /** Accepted rows per population. */
  populations: Record<Population, number>;
  /** Field (id, name, domain, email, population, country, owner) → the header used. */
  columns: Record<string, string>;
  delimiter: Delimiter;
  bytes: number;
}

export const MAX_REJECTIONS_KEPT = 100;

export const ValidationOptionsSchema = z.strictObject({
  maxBytes: z.int().positive().default(DEFAULT_CSV_LIMITS.maxBytes).describe('the file is rejected past this size'),
  maxFieldBytes: z.int().min(256).default(DEFAULT_CSV_LIMITS.maxFieldBytes).describe('a row with a larger field is rejected'),
  maxLineLength: z.int().min(1024).default(DEFAULT_CSV_LIMITS.maxLineLength).describe('a row longer than this many characters is rejected'),
  maxBadRowShare: z.number().min(0).max(1).default(0.1).describe('the file is rejected when a larger share of its rows is rejected'),
  columnMapping: ColumnMappingSchema.optional(),
  populationValues: PopulationValuesSchema.optional().describe('the request’s own Type/Status values, e.g. {"Tier 1": "customer"}; they win over the known ones'),
  defaultPopulation: PopulationSchema.optional().describe('the population of rows whose population column is empty, or of every row when there is none'),
  populations: z.array(PopulationSchema).min(1).default(() => [...POPULATIONS]).describe('the populations this side contributes under the terms'),
});
export type ValidationOptions = z.input<typeof ValidationOptionsSchema>;

// ---------------------------------------------------------------------------
// A row's values

/* eslint-disable no-control-regex -- these patterns are about control characters */
/** Characters that call for cleaning: whitespace other than single inner spaces, invisible format characters, controls. */
const NEEDS_CLEANING = /[\u0000-\u001f\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f-\u2060\u3000\ufeff]/;
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff]/g;
const WHITESPACE_RUN = /[\s\u0085]+/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/* eslint-enable no-control-regex */

/** Line breaks, tabs and other whitespace become single spaces, invisible characters go; other control characters stay (and are refused). */
export function cleanValue(value: string): string {
  if (value === '') return value;
  if (value.charCodeAt(0) !== 32 && value.charCodeAt(value.length - 1) !== 32 && !NEEDS_CLEANING.test(value) && !value.includes('  ')) return value;
  return value.replace(INVISIBLE, '').replace(WHITESPACE_RUN, ' ').trim();
}

/** Values CRMs hold for "none"; read as empty in name, domain and e-mail. */
const PLACEHOLDERS = new Set(['-', '--', '.', '?', 'n/a', 'na', 'none', 'null', 'nil', 'unknown', 'tbd', '0', '#n/a']);
const orEmpty = (value: string) => (value.length <= 7 && PLACEHOLDERS.has(value.toLowerCase()) ? '' : value);

function quoted(value: string): string {
  return value.length > 60 ? `"${value.slice(0, 57)}..."` : `"${value}"`;
}

/** A web address or domain: a dot, and none of the characters a URL cannot hold. */
const NOT_IN_WEB_ADDRESS = /[\s"<>\\^`{|}]/;
const isWebAddress = (value: string) => value.includes('.') && !NOT_IN_WEB_ADDRESS.test(value);
const hasControl = (value: string) => value !== '' && CONTROL.test(value);
const EMAIL_ADDRESS = /^[^\s@"<>(),;:]+@[^\s@"<>(),;:]+\.[^\s@"<>(),;:]+$/;

/** Each text field: the label used in reasons and its longest length. */
const TEXT_FIELDS = [
  ['ref', 'id', 200],
  ['name', 'name', 300],
  ['website', 'domain', 2048],
  ['email', 'email', 254],
  ['country', 'country', 100],
  ['owner', 'owner', 200],
] as const;

/**
 * The fields of a row after cleaning; an empty string is a value left blank.
 * One check over the whole row rather than one per field: the same rules,
 * at a fifth of the cost per row (docs/csv-reader.md).
 */
export const AccountRowSchema = z
  .object({ ref: z.string(), name: z.string(), website: z.string(), email: z.string(), country: z.string(), owner: z.string() })
  .superRefine((row, ctx) => {
    // The common case first: every field short enough and free of control characters (one search per field is the fastest here).
    const clean =
      row.ref.length <= 200 &&
      row.name.length <= 300 &&
      row.website.length <= 2048 &&
      row.email.length <= 254 &&
      row.country.length <= 100 &&
      row.owner.length <= 200 &&
      !hasControl(row.ref) &&
      !hasControl(row.name) &&
      !hasControl(row.website) &&
      !hasControl(row.email) &&
      !hasControl(row.country) &&
      !hasControl(row.owner);
    if (!clean) {
      for (const [key, label, max] of TEXT_FIELDS) {
        const value = row[key];
        if (value.length > max) ctx.addIssue({ code: 'custom', path: [key], message: `${label} is longer than ${max} characters` });
        const control = CONTROL.exec(value);
        if (control) {
          const code = control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
          ctx.addIssue({ code: 'custom', path: [key], message: `${label} contains a control character (U+${code})` });
        }
      }
    }
    if (row.website !== '' && !isWebAddress(row.website)) {
      ctx.addIssue({ code: 'custom', path: ['website'], message: `domain ${quoted(row.website)} is not a web address or domain` });
    }
    if (row.email !== '' && !EMAIL_ADDRESS.test(row.email)) {
      ctx.addIssue({ code: 'custom', path: ['email'], message: `email ${quoted(row.email)} is not an e-mail address` });
    }
    if (row.name === '' && row.website === '' && row.email === '') {
      ctx.addIssue({ code: 'custom', path: [], message: 'the row has no name, domain or e-mail' });
    }
  });

// ---------------------------------------------------------------------------
// The file

type FieldColumns = [number, number, number, number, number, number, number];

function valueAt(fields: readonly string[], at: number): string {
  return at === -1 ? '' : cleanValue(fields[at] ?? '');
}

/** A reason to reject the whole file, found while reading it. */
/** Thrown by a reader's handler to reject the whole file; its message is the reason. */
export class FileRejection extends Error {}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))}%`;
}

function populationList(populations: readonly Population[]): string {
  return populations.length === 1 ? populations[0]! : `${populations.slice(0, -1).join(', ')} and ${populations.at(-1)}`;
}

/**
 * Validates a contribution from a stream of bytes (an S3 object's body, a
 * file stream, test chunks). Never throws for the file's content: a file
 * that cannot be used comes back as a rejected report with its reason. Rows
 * are handed to `onRow` as they are accepted; when the verdict is
 * `rejected`, the caller must discard those it received.
 */
export async function validateContribution(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  options: ValidationOptions,
  onRow?: (row: AccountRow) => void,
): Promise<ValidationReport> {
  const settings = ValidationOptionsSchema.parse(options);
  const allowed = new Set<Population>(settings.populations);
  const readPopulation = populationReader(settings.populationValues);
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

  let width = 0;
  // The column of each field, -1 when the file has none.
  let [idAt, nameAt, domainAt, emailAt, populationAt, countryAt, ownerAt] = [-1, -1, -1, -1, -1, -1, -1];
  /** The population of every row when the file has no population column. */
  let fixedPopulation: Population | undefined;

  const reject = (line: number, reason: string) => {
    report.rejected++;
    if (report.rejections.length < MAX_REJECTIONS_KEPT) report.rejections.push({ line, reason });
  };

  const handlers = {
    header(fields: string[], delimiter: Delimiter) {
      report.delimiter = delimiter;
      if (looksBlind(fields)) {
        throw new FileRejection('this is a blind contribution (record and token columns), but the agreement matches in the clear: upload the account list itself');
      }
      let resolved;
      try {
        resolved = resolveColumns(fields, settings.columnMapping);
      } catch (error) {
        if (error instanceof ColumnMappingError) throw new FileRejection(error.message);
        throw error;
      }
      width = fields.length;
      const at = (field: ContributionField) => resolved.index[field] ?? -1;
      [idAt, nameAt, domainAt, emailAt, populationAt, countryAt, ownerAt] = CONTRIBUTION_FIELDS.map(at) as FieldColumns;
      report.columns = resolved.headers;
      if (populationAt === -1) {
        fixedPopulation = settings.defaultPopulation ?? (settings.populations.length === 1 ? settings.populations[0] : undefined);
      }
    },

    record(fields: string[], line: number) {
      if (fields.length !== width) {
        if (fields.every((field) => field.trim() === '')) return;
        if (fields.length < width || fields.slice(width).some((field) => field.trim() !== '')) {
          report.rowsRead++;
          reject(line, `the row has ${fields.length} fields where the header has ${width}`);
          return;
        }
      }
      report.rowsRead++;
      const candidate = {
        ref: valueAt(fields, idAt),
        name: orEmpty(valueAt(fields, nameAt)),
        website: orEmpty(valueAt(fields, domainAt)),
        email: orEmpty(valueAt(fields, emailAt)),
        country: valueAt(fields, countryAt),
        owner: valueAt(fields, ownerAt),
      };
      const checked = AccountRowSchema.safeParse(candidate);
      if (!checked.success) {
        if (fields.every((field) => field.trim() === '')) {
          report.rowsRead--;
          return;
        }
        reject(line, checked.error.issues.map((issue) => issue.message).join('; '));
        return;
      }

      if (populationAt === -1 && fixedPopulation === undefined) {
        // Said at the first row that is not blank, so that a file with a header only is told it has no rows.
        throw new FileRejection(
          'no population column (such as "Type", "Lifecycle Stage" or "Status") and no default population: ' +
            `add one, map one, or give the population of the whole file (${populationList(settings.populations)})`,
        );
      }
      let population = fixedPopulation;
      if (population === undefined) {
        const written = fields[populationAt] ?? '';
        population = readPopulation(written) ?? (written.trim() === '' ? settings.defaultPopulation : undefined);
        if (population === undefined) {
          reject(
            line,
            written.trim() === ''
              ? `the population column "${report.columns.population}" is empty and no default population was given`
              : `population ${quoted(cleanValue(written))} is not recognised: use customer, opportunity or prospect (or a CRM value such as Customer, Closed Won, Opportunity, Prospect, Lead)`,
          );
          return;
        }
      }
      if (!allowed.has(population)) {
        reject(line, `the row is ${population === 'opportunity' ? 'an' : 'a'} ${population}, which this side does not contribute under the terms (only ${populationList(settings.populations)})`);
        return;
      }

      report.accepted++;
      report.populations[population]++;
      if (onRow) {
        const row: AccountRow = { ref: candidate.ref || String(line), line, name: candidate.name, population };
        if (candidate.website) row.website = candidate.website;
        if (candidate.email) row.email = candidate.email;
        if (candidate.country) row.country = candidate.country;
        if (candidate.owner) row.owner = candidate.owner;
        onRow(row);
      }
    },

    badRecord(line: number, reason: string) {
      report.rowsRead++;
      reject(line, reason);
    },
  };

  return readAndJudge(new CsvParser(handlers, settings), input, report, settings.maxBadRowShare);
}

/**
 * Streams `input` through `parser`, whose handlers fill `report`, then gives
 * the file its verdict: rejected when the reader or a handler refused it
 * (CsvFileError, FileRejection), when it has no rows, no accepted row, or
 * more than `maxBadRowShare` bad rows; accepted otherwise.
 */
export async function readAndJudge(
  parser: CsvParser,
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  report: ValidationReport,
  maxBadRowShare: number,
): Promise<ValidationReport> {
  try {
    for await (const chunk of byteChunks(input)) parser.write(chunk);
    const summary = parser.end();
    report.bytes = summary.bytes;
    report.delimiter = summary.delimiter;
  } catch (error) {
    if (!(error instanceof CsvFileError || error instanceof FileRejection)) throw error;
    return { ...report, bytes: parser.bytes, delimiter: parser.delimiter ?? ',', verdict: 'rejected', reason: error.message };
  }

  const rejectedFile = (reason: string): ValidationReport => ({ ...report, verdict: 'rejected', reason });
  if (report.rowsRead === 0) return rejectedFile('the file has a header but no rows');
  if (report.accepted === 0) return rejectedFile(`none of the ${report.rowsRead} rows was accepted`);
  const share = report.rejected / report.rowsRead;
  if (share > maxBadRowShare) {
    return rejectedFile(`${report.rejected} of ${report.rowsRead} rows were rejected (${percent(share)}), more than the ${percent(maxBadRowShare)} allowed`);
  }
  return report;
}
