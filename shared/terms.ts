import { z } from 'zod';
import { canonicalHash, canonicalJson, SHA256_HASH_PATTERN, type Sha256Hash } from './canonical-json.ts';
import { type ErrorDetail, ValidationError } from './errors.ts';
import { effectiveVisibility } from './visibility.ts';

/**
 * The terms of an agreement: what both partners' approvers sign. Every field
 * has a default, so `{}` is a complete, sensible contract; unknown fields are
 * refused at every level. docs/terms.md explains them for legal/ops readers.
 *
 * Direction: the two parties are named by their role in the agreement,
 * `proposer` and `counterparty`. A 9-box cell is written [mine][theirs] from
 * the point of view of the side it belongs to (visibility), or
 * [proposer's population][counterparty's population] where one rule serves
 * both sides (rules of engagement).
 */

// ---------------------------------------------------------------------------
// Vocabulary

export const POPULATIONS = ['customer', 'opportunity', 'prospect'] as const;
export type Population = (typeof POPULATIONS)[number];
export const PopulationSchema = z.enum(POPULATIONS).meta({
  id: 'Population',
  description: 'the status of an account in a partner’s CRM: customer, opportunity (open deal) or prospect',
});

export const SIDES = ['proposer', 'counterparty'] as const;
export type Side = (typeof SIDES)[number];
export const SideSchema = z.enum(SIDES).meta({ id: 'Side', description: 'a party by its role in the agreement' });

export function otherSide(side: Side): Side {
  return side === 'proposer' ? 'counterparty' : 'proposer';
}

export const VISIBILITY_LEVELS = ['hidden', 'count', 'accounts'] as const;
export type VisibilityLevel = (typeof VISIBILITY_LEVELS)[number];
export const VisibilityLevelSchema = z.enum(VISIBILITY_LEVELS).meta({
  id: 'VisibilityLevel',
  description: 'hidden: nothing; count: how many accounts; accounts: each account’s name and domain (plus any named fields)',
});

export const ACTORS_OF_A_RULE = ['proposer', 'counterparty', 'both', 'neither'] as const;
export type RuleActor = (typeof ACTORS_OF_A_RULE)[number];

export const MATCHING_MODES = ['clear', 'blind'] as const;
export type MatchingMode = (typeof MATCHING_MODES)[number];

// ---------------------------------------------------------------------------
// Defaults: the plays of DESIGN.md's 9-box

export const DEFAULT_PURPOSE =
  'Find the accounts both partners have in common and agree how to work them together, without sharing anything else.';

type Matrix<T> = Record<Population, Record<Population, T>>;

/**
 * What a side sees of the other's matched accounts by default, [mine][theirs].
 * Every cell with a customer on either side, and co-sell, shows accounts; a
 * cell that would reveal one side's open deals to a partner that has the
 * account only as a prospect, and prospect × prospect, show a count. The
 * matrix equals its transpose, so the defaults satisfy give-to-get as written.
 */
export const DEFAULT_VISIBILITY: Readonly<Matrix<VisibilityLevel>> = {
  customer: { customer: 'accounts', opportunity: 'accounts', prospect: 'accounts' },
  opportunity: { customer: 'accounts', opportunity: 'accounts', prospect: 'count' },
  prospect: { customer: 'accounts', opportunity: 'count', prospect: 'count' },
};

export interface Play {
  /** The play's short name, as DESIGN.md's 9-box names it. */
  name: string;
  acts: RuleActor;
  note: string;
}

/** The default rule of each cell, [proposer's population][counterparty's population]. */
export const DEFAULT_RULES: Readonly<Matrix<Play>> = {
  customer: {
    customer: {
      name: 'retention and expansion',
      acts: 'both',
      note: 'Both sides work on joint value and integration adoption for the shared customer.',
    },
    opportunity: {
      name: 'deal support',
      acts: 'proposer',
      note: 'The side that has the account as a customer supports the other side’s open deal with a reference or insight.',
    },
    prospect: {
      name: 'referral',
      acts: 'proposer',
      note: 'The side that has the account as a customer introduces the other side, which pays for the referral under the incentives.',
    },
  },
  opportunity: {
    customer: {
      name: 'deal support',
      acts: 'counterparty',
      note: 'The side that has the account as a customer supports the other side’s open deal with a reference or insight.',
    },
    opportunity: {
      name: 'co-sell',
      acts: 'both',
      note: 'Both account teams align on one plan for the account.',
    },
    prospect: {
      name: 'added value',
      acts: 'proposer',
      note: 'The side with the open deal may bring the other side in as added value; the other side may offer insight on the account.',
    },
  },
  prospect: {
    customer: {
      name: 'referral',
      acts: 'counterparty',
      note: 'The side that has the account as a customer introduces the other side, which pays for the referral under the incentives.',
    },
    opportunity: {
      name: 'added value',
      acts: 'counterparty',
      note: 'The side with the open deal may bring the other side in as added value; the other side may offer insight on the account.',
    },
    prospect: {
      name: 'joint account-based marketing',
      acts: 'both',
      note: 'Both sides may run joint account-based marketing on the account.',
    },
  },
};

export const DEFAULT_REMINDER_DAYS: readonly number[] = [1, 3, 7];

// ---------------------------------------------------------------------------
// Schema pieces

/** A strict object whose refusal of an unknown field names the field. */
function strict<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`
        : undefined,
  });
}

function refuseDuplicates<T>(values: readonly T[], ctx: z.core.$RefinementCtx<T[]>, describe: (value: T) => string): void {
  const seen = new Set<T>();
  values.forEach((value, index) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [index], message: `lists ${describe(value)} twice` });
    seen.add(value);
  });
}

const PopulationListSchema = z
  .array(PopulationSchema)
  .min(1, 'must list at least one population')
  .default(() => [...POPULATIONS])
  .superRefine((list, ctx) => refuseDuplicates(list, ctx, (population) => population))
  .overwrite((list) => POPULATIONS.filter((population) => list.includes(population)));

const Days = (min: number, max: number) => z.int(`must be a whole number of days`).min(min).max(max);

const BasisPoints = z
  .int('must be a whole number of basis points')
  .min(0, 'must be at least 0 basis points')
  .max(10_000, 'must be at most 10000 basis points (100%)')
  .describe('basis points: 100 = 1%, 10000 = 100%');

const ISO_4217 = new Set(Intl.supportedValuesOf('currency'));

export const CurrencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code in capitals, such as USD or EUR', abort: true })
  .refine((code) => ISO_4217.has(code), { error: (issue) => `${String(issue.input)} is not an ISO 4217 currency` })
  .meta({ id: 'Currency', description: 'ISO 4217 currency code', example: 'EUR' });

/** Extra fields a side may see of the other's matched accounts, by the contribution's column name. */
const FieldNameSchema = z
  .string()
  .regex(/^[a-z][A-Za-z0-9]{0,39}$/, 'must be a field name in camelCase, such as ownerEmail or industry')
  .refine((name) => name !== 'name' && name !== 'domain', 'name and domain are always part of "accounts"; list only extra fields');

function visibilityCell(defaultLevel: VisibilityLevel) {
  return strict({
    level: VisibilityLevelSchema.default(defaultLevel),
    fields: z
      .array(FieldNameSchema)
      .max(20, 'may name at most 20 extra fields')
      .default(() => [])
      .superRefine((fields, ctx) => refuseDuplicates(fields, ctx, (field) => `"${field}"`))
      .overwrite((fields) => [...fields].sort())
      .describe('extra fields shown with each account, beyond name and domain; only with level "accounts"'),
  })
    .superRefine((cell, ctx) => {
      if (cell.fields.length > 0 && cell.level !== 'accounts') {
        ctx.addIssue({ code: 'custom', path: ['fields'], message: `extra fields are shown only with level "accounts", not "${cell.level}"` });
      }
    })
    .prefault({});
}

function visibilityRow(mine: Population) {
  return strict({
    customer: visibilityCell(DEFAULT_VISIBILITY[mine].customer),
    opportunity: visibilityCell(DEFAULT_VISIBILITY[mine].opportunity),
    prospect: visibilityCell(DEFAULT_VISIBILITY[mine].prospect),
  })
    .describe(`by the other side’s population, when the account is ${article(mine)} ${mine} of mine`)
    .prefault({});
}

function visibilityMatrix(side: Side) {
  return strict({
    customer: visibilityRow('customer'),
    opportunity: visibilityRow('opportunity'),
    prospect: visibilityRow('prospect'),
  })
    .describe(`what the ${side} sees of the ${otherSide(side)}’s matched accounts, by [the ${side}’s population][the ${otherSide(side)}’s population]`)
    .prefault({});
}

function ruleCell(play: Play) {
  return strict({
    acts: z.enum(ACTORS_OF_A_RULE).default(play.acts).describe('which side acts on the account'),
    note: z.string().trim().max(1000, 'must be at most 1000 characters').default(play.note).describe('what is agreed, in words'),
  }).prefault({});
}

function ruleRow(proposers: Population) {
  return strict({
    customer: ruleCell(DEFAULT_RULES[proposers].customer),
    opportunity: ruleCell(DEFAULT_RULES[proposers].opportunity),
    prospect: ruleCell(DEFAULT_RULES[proposers].prospect),
  }).prefault({});
}

// ---------------------------------------------------------------------------
// The terms

export const TermsSchema = strict({
  purpose: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters').default(DEFAULT_PURPOSE),

  populations: strict({
    proposer: PopulationListSchema.describe('the populations the proposer contributes'),
    counterparty: PopulationListSchema.describe('the populations the counterparty contributes'),
  }).prefault({}),

  matching: strict({
    mode: z
      .enum(MATCHING_MODES)
      .default('clear')
      .describe('clear: the matcher reads both lists; blind: both sides’ keys are hashed before matching'),
    domain: z.boolean().default(true).describe('match on registrable web domain'),
    name: z.boolean().default(true).describe('match on company name'),
    fuzzyThreshold: z
      .number()
      .min(0.5, 'must be at least 0.5')
      .max(1, 'must be at most 1 (exact names only)')
      .default(0.9)
      .describe('least name similarity, 0.5 to 1, for a name match'),
    blindCountry: z
      .boolean()
      .optional()
      .describe('blind mode only: true uploads a token of each account’s country too, and two names of different countries never match'),
  })
    .refine((matching) => matching.domain || matching.name, { path: ['domain'], message: 'must match on domain, on name, or both' })
    .superRefine((matching, ctx) => {
      if (matching.mode === 'blind' && matching.name && matching.fuzzyThreshold < 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['fuzzyThreshold'],
          message: `blind matching compares names exactly (similarity needs the names themselves): set 1, or name: false (not ${matching.fuzzyThreshold})`,
        });
      }
      if (matching.mode === 'clear' && matching.blindCountry !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['blindCountry'], message: 'applies to blind mode only; clear matching always compares countries' });
      }
    })
    // false and absent mean the same: one spelling, one hash.
    .overwrite(({ blindCountry, ...matching }) => (blindCountry === true ? { ...matching, blindCountry } : matching))
    .prefault({}),

  visibility: strict({
    asymmetric: z
      .boolean()
      .default(false)
      .describe('true: each side sees exactly what is written, even more than it shows of itself (give-to-get off)'),
    proposer: visibilityMatrix('proposer'),
    counterparty: visibilityMatrix('counterparty'),
  }).prefault({}),

  incentives: strict({
    currency: CurrencySchema.default('USD'),
    referralFeeBps: BasisPoints.default(0).describe(
      'one-off fee on the value of a deal closed after an introduction, paid by the side introduced to the side that introduced it',
    ),
    revenueShareBps: BasisPoints.default(0).describe(
      'share of the revenue from a referred account within the attribution window, paid by the side introduced',
    ),
    attributionWindowDays: Days(1, 1095).default(180).describe('days after an introduction in which a deal counts as referred'),
    capMinorUnits: z
      .int('must be a whole number of minor units (cents)')
      .min(1, 'must be at least 1')
      .optional()
      .describe('the most that fee and share together may reach per referral, in minor units of the currency; none when absent'),
  }).prefault({}),

  schedule: strict({
    contributionDeadlineDays: Days(1, 365).default(14).describe('days after a run opens by which both contributions are due'),
    reminderDays: z
      .array(Days(1, 364))
      .max(30, 'may list at most 30 reminders')
      .default(() => [...DEFAULT_REMINDER_DAYS])
      .describe('days after a run opens on which a missing contribution is reminded; ascending, before the deadline'),
    resultApprovalDeadlineDays: Days(1, 90).default(7).describe('days after the results are ready by which both sides must approve them'),
    recurrenceEveryDays: Days(1, 366).optional().describe('a new run opens this many days after the previous one opened; one run only when absent'),
  })
    .superRefine((schedule, ctx) => {
      schedule.reminderDays.forEach((day, index) => {
        const previous = schedule.reminderDays[index - 1];
        if (previous !== undefined && day <= previous) {
          ctx.addIssue({ code: 'custom', path: ['reminderDays', index], message: `must be strictly ascending: day ${day} follows day ${previous}` });
        }
        if (day >= schedule.contributionDeadlineDays) {
          ctx.addIssue({
            code: 'custom',
            path: ['reminderDays', index],
            message: `day ${day} is not before the contribution deadline (day ${schedule.contributionDeadlineDays})`,
          });
        }
      });
      const runLength = schedule.contributionDeadlineDays + schedule.resultApprovalDeadlineDays;
      if (schedule.recurrenceEveryDays !== undefined && schedule.recurrenceEveryDays < runLength) {
        ctx.addIssue({
          code: 'custom',
          path: ['recurrenceEveryDays'],
          message: `must be at least ${runLength} days (contribution deadline + result-approval deadline), so that a run can end before the next opens`,
        });
      }
    })
    .prefault({}),

  retention: strict({
    deleteUploadsAfterMatching: z
      .boolean()
      .default(true)
      .describe('true: raw uploads are deleted as soon as matching ends; false: they are kept as long as the results'),
    resultsKeptDays: Days(1, 3650).default(90).describe('days the results are kept after release, then deleted'),
  }).prefault({}),

  rulesOfEngagement: strict({
    customer: ruleRow('customer'),
    opportunity: ruleRow('opportunity'),
    prospect: ruleRow('prospect'),
  })
    .describe('who acts on the accounts of each cell, by [the proposer’s population][the counterparty’s population]')
    .prefault({}),
})
  .superRefine((terms, ctx) => {
    // Blind: Accord never reads the other side's rows, so it has no field of them to show.
    if (terms.matching.mode !== 'blind') return;
    for (const side of SIDES) {
      for (const mine of POPULATIONS) {
        for (const theirs of POPULATIONS) {
          if (terms.visibility[side][mine][theirs].fields.length > 0) {
            ctx.addIssue({
              code: 'custom',
              path: ['visibility', side, mine, theirs, 'fields'],
              message: 'blind matching shows no fields of the other side (its rows never reach Accord): "accounts" means which of your own records overlap',
            });
          }
        }
      }
    }
  })
  .meta({
    id: 'Terms',
    description: 'the terms both parties approve; every field has a default, so {} is a complete contract; unknown fields are refused',
  });

/** Terms as written by a person or a client: any field may be left out. */
export type TermsInput = z.input<typeof TermsSchema>;
/** Terms with every default filled in and every list in canonical order. */
export type Terms = z.output<typeof TermsSchema>;
export type VisibilityCell = Terms['visibility']['proposer']['customer']['customer'];
export type Rule = Terms['rulesOfEngagement']['customer']['customer'];

/** The zod issues of a failed parse as Accord error details; an unknown field is named in its path. */
export function zodIssuesToDetails(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ErrorDetail[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...path, key].map(String).join('.'), message: 'is not a known field' }));
    }
    return [{ path: path.map(String).join('.'), message: issue.message }];
  });
}

/**
 * Terms from untrusted input, with every default filled in; a ValidationError
 * naming each problem by its path (under `prefix`, `terms` by default) otherwise.
 */
export function parseTerms(input: unknown, prefix: readonly PropertyKey[] = ['terms']): Terms {
  const result = TermsSchema.safeParse(input);
  if (result.success) return result.data;
  const details = zodIssuesToDetails(result.error.issues, prefix);
  throw new ValidationError(
    `the terms are invalid: ${details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')}`,
    { details, code: 'invalid_terms' },
  );
}

// ---------------------------------------------------------------------------
// Hash

export const TermsHashSchema = z
  .string()
  .regex(SHA256_HASH_PATTERN, 'must be a terms hash: sha256: and 64 hex digits')
  .meta({ id: 'TermsHash', description: 'sha256: + hex SHA-256 of the terms’ canonical JSON (RFC 8785)' });

/**
 * `sha256:` + hex SHA-256 of the RFC 8785 canonical JSON of the terms with
 * every default filled in. The same terms hash the same whatever their key
 * order and whichever defaults were written out; any change of meaning
 * changes the hash. The terms' version is not part of the hashed body: the
 * version numbers a proposal, the hash names its content.
 */
export function termsHash(terms: TermsInput | Terms): Sha256Hash {
  return canonicalHash(parseTerms(terms));
}

// ---------------------------------------------------------------------------
// Differences

export interface TermsChange {
  /** Dotted path of the field, e.g. `schedule.reminderDays` or `visibility.proposer.customer.prospect.level`. */
  path: string;
  /** The value before, or undefined when the field was absent (an optional one). */
  before: unknown;
  after: unknown;
}

function leaves(value: unknown, path: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, path ? `${path}.${key}` : key, out);
  } else if (value !== undefined) {
    out.set(path, value);
  }
}

/** Every field whose value differs between two terms (defaults filled in), in path order; lists compare as a whole. */
export function diffTerms(a: TermsInput | Terms, b: TermsInput | Terms): TermsChange[] {
  const before = new Map<string, unknown>();
  const after = new Map<string, unknown>();
  leaves(parseTerms(a), '', before);
  leaves(parseTerms(b), '', after);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths
    .filter((path) => canonicalJson(before.get(path) ?? null) !== canonicalJson(after.get(path) ?? null) || before.has(path) !== after.has(path))
    .map((path) => ({ path, before: before.get(path), after: after.get(path) }));
}

// ---------------------------------------------------------------------------
// Plain language

export interface PartyNames {
  proposer: string;
  counterparty: string;
}

const PLURAL: Record<Population, string> = { customer: 'customers', opportunity: 'opportunities', prospect: 'prospects' };

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function list(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function percent(bps: number): string {
  return `${(bps / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

/** An amount in minor units as `EUR 1,234.50`, with the currency's usual number of decimals. */
export function formatMoney(minorUnits: number, currency: string): string {
  const digits = new Intl.NumberFormat('en-US', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const amount = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    minorUnits / 10 ** digits,
  );
  return `${currency} ${amount}`;
}

function describeLevel(cell: { level: VisibilityLevel; fields: readonly string[] }, mode: MatchingMode): string {
  switch (cell.level) {
    case 'hidden':
      return 'nothing';
    case 'count':
      return 'a count only';
    case 'accounts':
      if (mode === 'blind') return 'which of its own accounts they are';
      return cell.fields.length > 0 ? `accounts (name, domain, ${cell.fields.join(', ')})` : 'accounts (name and domain)';
  }
}

/**
 * The terms in plain language, one line per point, for the people who approve
 * them. Visibility lines say what each side will actually see, after
 * give-to-get, and say where give-to-get narrows what is written.
 */
export function describeTerms(input: TermsInput | Terms, names: PartyNames = { proposer: 'the proposer', counterparty: 'the counterparty' }): string[] {
  const terms = parseTerms(input);
  const name = (side: Side) => names[side];
  const Name = (side: Side) => name(side).charAt(0).toUpperCase() + name(side).slice(1);
  const lines: string[] = [`Purpose: ${terms.purpose}`];

  for (const side of SIDES) {
    lines.push(`${Name(side)} contributes its ${list(terms.populations[side].map((population) => PLURAL[population]))}.`);
  }

  const { matching } = terms;
  const keys = [
    ...(matching.domain ? ['registrable web domain'] : []),
    ...(matching.name
      ? [matching.fuzzyThreshold === 1 ? 'exact company name' : `company name (similarity at least ${Math.round(matching.fuzzyThreshold * 100)}%)`]
      : []),
  ];
  lines.push(
    `Accounts match on ${list(keys)}; ${
      matching.mode === 'blind'
        ? `matching is blind: each side turns its keys into tokens that only the two sides can compute, and Accord compares the tokens, never the lists${matching.name && matching.blindCountry ? ' (with a token of the country, so that names of different countries never match)' : ''}`
        : 'matching reads both lists in the clear'
    }. Accounts that do not match are never shown to anyone.`,
  );

  lines.push(
    terms.visibility.asymmetric
      ? 'Visibility is asymmetric: each side sees exactly what is written below, even where that is more than it shows the other (give-to-get is off by agreement of both sides).'
      : 'Give-to-get: neither side sees more of the other’s accounts in a cell than it shows of its own.',
  );
  for (const side of SIDES) {
    const other = otherSide(side);
    for (const mine of POPULATIONS) {
      for (const theirs of POPULATIONS) {
        const effective = effectiveVisibility(terms, side, mine, theirs);
        let line = `${Name(side)} sees, of accounts that are ${name(side)}’s ${PLURAL[mine]} and ${name(other)}’s ${PLURAL[theirs]}: ${describeLevel(effective, matching.mode)}`;
        if (effective.limitedBy === 'give_to_get') line += ` (terms say ${describeLevel(terms.visibility[side][mine][theirs], matching.mode)}; narrowed by give-to-get)`;
        if (effective.limitedBy === 'not_contributed') line += ' (a population not contributed)';
        lines.push(`${line}.`);
      }
    }
  }

  const { incentives } = terms;
  lines.push(
    incentives.referralFeeBps > 0
      ? `Referral fee: ${percent(incentives.referralFeeBps)} of the value of a deal closed within ${incentives.attributionWindowDays} days of an introduction, paid in ${incentives.currency} by the side introduced to the side that introduced it.`
      : 'No referral fee.',
  );
  lines.push(
    incentives.revenueShareBps > 0
      ? `Revenue share: ${percent(incentives.revenueShareBps)} of the revenue from a referred account within ${incentives.attributionWindowDays} days of the introduction, paid in ${incentives.currency} by the side introduced.`
      : 'No revenue share.',
  );
  if (incentives.capMinorUnits !== undefined) {
    lines.push(`Fee and revenue share together are capped at ${formatMoney(incentives.capMinorUnits, incentives.currency)} per referral.`);
  }

  const { schedule } = terms;
  lines.push(`Both contributions are due ${schedule.contributionDeadlineDays} days after a run opens.`);
  lines.push(
    schedule.reminderDays.length > 0
      ? `A side that has not contributed is reminded on day${schedule.reminderDays.length > 1 ? 's' : ''} ${list(schedule.reminderDays.map(String))}.`
      : 'No reminders are sent.',
  );
  lines.push(`Both sides must approve the results within ${schedule.resultApprovalDeadlineDays} days of their being ready, or nothing is released.`);
  lines.push(
    schedule.recurrenceEveryDays === undefined
      ? 'One run only.'
      : `A new run opens every ${schedule.recurrenceEveryDays} days, counted from the opening of the previous one.`,
  );

  const { retention } = terms;
  lines.push(
    retention.deleteUploadsAfterMatching
      ? 'Raw uploads are deleted as soon as matching ends.'
      : 'Raw uploads are kept as long as the results.',
  );
  lines.push(`Results are kept for ${retention.resultsKeptDays} days after release, then deleted.`);

  for (const proposers of POPULATIONS) {
    for (const counterparties of POPULATIONS) {
      const rule = terms.rulesOfEngagement[proposers][counterparties];
      const play = DEFAULT_RULES[proposers][counterparties].name;
      const who = rule.acts === 'both' ? 'both act' : rule.acts === 'neither' ? 'neither acts' : `${name(rule.acts)} acts`;
      lines.push(
        `${Name('proposer')}’s ${PLURAL[proposers]} that are ${name('counterparty')}’s ${PLURAL[counterparties]} (${play}): ${who}.${rule.note ? ` ${rule.note}` : ''}`,
      );
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------
// Rules of engagement, from one side's point of view

export interface RuleForSide {
  /** The play of the cell, as DESIGN.md's 9-box names it. */
  play: string;
  /** Who acts, seen from the side asking. */
  acts: 'me' | 'them' | 'both' | 'neither';
  note: string;
}

/** The rule of the cell [mine][theirs] as `side` sees it (the terms store it by [proposer][counterparty]). */
export function ruleOfEngagement(terms: Terms, side: Side, mine: Population, theirs: Population): RuleForSide {
  const [proposers, counterparties] = side === 'proposer' ? [mine, theirs] : [theirs, mine];
  const rule = terms.rulesOfEngagement[proposers][counterparties];
  const acts = rule.acts === 'both' || rule.acts === 'neither' ? rule.acts : rule.acts === side ? 'me' : 'them';
  return { play: DEFAULT_RULES[proposers][counterparties].name, acts, note: rule.note };
}
