import { z } from 'zod';
import { type Population, PopulationSchema, POPULATIONS } from '../terms.ts';

/**
 * Which column of a contribution holds each field: the usual CRM export
 * names (Salesforce, HubSpot, Pipedrive, Dynamics, Zoho), or an explicit
 * mapping given with the upload, which wins field by field. And how a
 * Type / Status / Stage value reads as a population.
 */

export const CONTRIBUTION_FIELDS = ['id', 'name', 'domain', 'email', 'population', 'country', 'owner'] as const;
export type ContributionField = (typeof CONTRIBUTION_FIELDS)[number];

const Header = z.string().trim().min(1, 'must name a column').max(200, 'must be at most 200 characters');

/** Explicit header per field; `domain` is the website, URL or domain column. */
export const ColumnMappingSchema = z.strictObject({
  id: Header.optional(),
  name: Header.optional(),
  domain: Header.optional(),
  email: Header.optional(),
  population: Header.optional(),
  country: Header.optional(),
  owner: Header.optional(),
});
export type ColumnMapping = z.output<typeof ColumnMappingSchema>;

/** A header as compared: lower case, letters and digits only ("Account Name" → "accountname", "Country/Region" → "countryregion"). */
export function headerKey(header: string): string {
  return header
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/**
 * Known headers per field, most specific first: when a file has several
 * (HubSpot has "Company name" and "Name"), the earlier one in this list wins.
 * Written as they appear in exports; compared by headerKey.
 */
export const KNOWN_HEADERS: Readonly<Record<ContributionField, readonly string[]>> = {
  id: ['Account ID', 'Record ID', 'Company ID', 'Organization ID', 'Organization - ID', 'Organisation ID', 'External ID', 'CRM ID', 'Account Number', 'ID'],
  name: [
    'Account Name',
    'Company Name',
    'Company name',
    'Organization Name',
    'Organization - Name',
    'Organisation Name',
    'Business Name',
    'Customer Name',
    'Company',
    'Organization',
    'Organisation',
    'Account',
    'Name',
  ],
  domain: [
    'Domain',
    'Company Domain Name',
    'Company Domain',
    'Domain Name',
    'Website',
    'Website URL',
    'Company Website',
    'Organization - Website',
    'Web Site',
    'Web Address',
    'Homepage',
    'URL',
    'Web',
  ],
  email: ['Email', 'E-mail', 'Email Address', 'Primary Email', 'Work Email', 'Company Email', 'Contact Email', 'Organization - Email'],
  population: [
    'Population',
    'Lifecycle Stage',
    'Account Type',
    'Company Type',
    'Relationship Type',
    'Customer Status',
    'Account Status',
    'Type',
    'Status',
    'Stage',
    'Deal Stage',
    'Deal - Status',
    'Organization - Label',
    'Label',
  ],
  country: [
    'Country',
    'Country/Region',
    'Billing Country',
    'Country Code',
    'HQ Country',
    'Headquarters Country',
    'Shipping Country',
    'Mailing Country',
    'Address 1: Country/Region',
    'Organization - Address - Country',
  ],
  owner: ['Owner', 'Account Owner', 'Company owner', 'Contact owner', 'Organization - Owner', 'Owner Name', 'Account Manager', 'Sales Rep'],
};

const KNOWN_KEYS = Object.fromEntries(
  CONTRIBUTION_FIELDS.map((field) => [field, [...new Set(KNOWN_HEADERS[field].map(headerKey))]]),
) as unknown as Readonly<Record<ContributionField, readonly string[]>>;

export interface ResolvedColumns {
  /** Field → index of its column in the header. */
  index: Partial<Record<ContributionField, number>>;
  /** Field → the header used, for the report. */
  headers: Partial<Record<ContributionField, string>>;
}

/** A mapping or a header the file does not fit; the message is the file's rejection reason. */
export class ColumnMappingError extends Error {
  override readonly name = 'ColumnMappingError';
}

function listed(headers: readonly string[]): string {
  const shown = headers.slice(0, 20).map((header) => `"${header}"`);
  return headers.length > 20 ? `${shown.join(', ')} and ${headers.length - 20} more` : shown.join(', ');
}

/**
 * The column of each field: the explicit mapping's (exact header, else the
 * same header by headerKey), or else the first known header present. A column
 * serves one field only. Throws a ColumnMappingError when a mapped column is
 * missing or when there is no name, domain or e-mail column.
 */
export function resolveColumns(header: readonly string[], mapping: ColumnMapping = {}): ResolvedColumns {
  const trimmed = header.map((cell) => cell.trim());
  const keys = trimmed.map(headerKey);
  const taken = new Set<number>();
  const index: ResolvedColumns['index'] = {};
  const headers: ResolvedColumns['headers'] = {};
  const take = (field: ContributionField, column: number) => {
    index[field] = column;
    headers[field] = trimmed[column] ?? '';
    taken.add(column);
  };

  for (const field of CONTRIBUTION_FIELDS) {
    const wanted = mapping[field];
    if (wanted === undefined) continue;
    let column = trimmed.indexOf(wanted.trim());
    if (column === -1) column = keys.indexOf(headerKey(wanted));
    if (column === -1) {
      throw new ColumnMappingError(`the column mapping names "${wanted}" for ${field}, but the header has no such column (it has ${listed(trimmed)})`);
    }
    take(field, column);
  }
  for (const field of CONTRIBUTION_FIELDS) {
    if (mapping[field] !== undefined) continue;
    for (const key of KNOWN_KEYS[field]) {
      const column = keys.findIndex((candidate, at) => candidate === key && !taken.has(at));
      if (column !== -1) {
        take(field, column);
        break;
      }
    }
  }
  if (index.name === undefined && index.domain === undefined && index.email === undefined) {
    throw new ColumnMappingError(
      `no usable name or domain column: the header has ${listed(trimmed)}; ` +
        'name a column such as "Account Name", "Company" or "Website", or give a column mapping',
    );
  }
  return { index, headers };
}

// ---------------------------------------------------------------------------
// Population values

/** A Type / Status / Stage value as compared: lower case, letters and digits, single spaces. */
export function valueKey(value: string): string {
  return value
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * The values CRM exports use, by population. Salesforce Account Type
 * ("Customer - Direct") and Opportunity stages, HubSpot lifecycle stages
 * (internal names too: "salesqualifiedlead"), Pipedrive deal status.
 * A value not listed, and not containing one of the words below, is unknown.
 */
export const KNOWN_POPULATION_VALUES: Readonly<Record<Population, readonly string[]>> = {
  customer: [
    'Customer',
    'Customers',
    'Active Customer',
    'Current Customer',
    'Existing Customer',
    'Customer - Direct',
    'Customer - Channel',
    'Client',
    'Active Client',
    'Closed Won',
    'Won',
    'Evangelist',
  ],
  opportunity: [
    'Opportunity',
    'Opportunities',
    'Open Opportunity',
    'Active Opportunity',
    'In Pipeline',
    'Pipeline',
    'Open Deal',
    'Open',
    'Deal',
    'In Progress',
    'Sales Qualified Lead',
    'salesqualifiedlead',
    'SQL',
    'Qualification',
    'Needs Analysis',
    'Value Proposition',
    'Id. Decision Makers',
    'Perception Analysis',
    'Proposal/Price Quote',
    'Proposal',
    'Negotiation/Review',
    'Negotiation',
    'Contract Sent',
  ],
  prospect: [
    'Prospect',
    'Prospects',
    'Lead',
    'Leads',
    'New Lead',
    'Target',
    'Target Account',
    'Marketing Qualified Lead',
    'marketingqualifiedlead',
    'MQL',
    'Subscriber',
    'Suspect',
  ],
};

const VALUE_TABLE: ReadonlyMap<string, Population> = new Map(
  POPULATIONS.flatMap((population) => KNOWN_POPULATION_VALUES[population].map((value) => [valueKey(value), population] as const)),
);

/** Words that say the account is no longer, or not, what the rest of the value says. */
const NEGATING_WORDS = /\b(former|ex|past|lost|churned|inactive|lapsed|cancelled|canceled|not|no|non|disqualified|unqualified)\b/;
const KEYWORDS: readonly [RegExp, Population][] = [
  [/\b(customer|client)s?\b/, 'customer'],
  [/\b(opportunit(y|ies)|pipeline|deal)\b/, 'opportunity'],
  [/\b(prospect|lead|target)s?\b/, 'prospect'],
];

export const PopulationValuesSchema = z.record(z.string().trim().min(1).max(200), PopulationSchema);

/**
 * A population reader: the request's own values first (exact, then by
 * valueKey), then the known values, then one keyword (customer, client;
 * opportunity, pipeline, deal; prospect, lead, target) in a value without a
 * negating word ("Former customer", "Closed Lost" stay unknown). Undefined
 * for an empty or unknown value.
 */
export function populationReader(custom: Readonly<Record<string, Population>> = {}): (value: string) => Population | undefined {
  const customTable = new Map(Object.entries(custom).map(([value, population]) => [valueKey(value), population]));
  const cache = new Map<string, Population | undefined>();
  return (value) => {
    if (cache.has(value)) return cache.get(value);
    const exact = Object.hasOwn(custom, value) ? custom[value] : undefined;
    if (exact !== undefined) return exact;
    const key = valueKey(value);
    let population = customTable.get(key) ?? VALUE_TABLE.get(key);
    if (population === undefined && key !== '' && !NEGATING_WORDS.test(key)) {
      const found = KEYWORDS.filter(([pattern]) => pattern.test(key));
      if (found.length === 1) population = found[0]![1];
    }
    // A file has few distinct values; bound the cache all the same.
    if (cache.size < 10_000) cache.set(value, population);
    return population;
  };
}
