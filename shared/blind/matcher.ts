import type { MatchOptions, MatchPair, MatchResult, SideCounts } from '../matching/matcher.ts';
import { type Population, POPULATIONS } from '../terms.ts';
import type { BlindRow } from './contribution.ts';

/**
 * The blind matcher: two sides' blind contributions in, the pairs of records
 * they have in common and the 9-box out. It joins tokens exactly and never
 * scores names (similarity needs the names), and otherwise makes the clear
 * matcher's (shared/matching/matcher.ts) decisions with its threshold at 1:
 *
 * 1. Deduplicate each side: rows with the same domain token are one account;
 *    rows without one are one account when their name tokens are equal. The
 *    account takes the strongest population of its rows (customer >
 *    opportunity > prospect; the first row of equals) and keeps all their
 *    records.
 * 2. Domain: accounts of both sides with the same domain token match.
 * 3. Name: of the accounts left, those with equal name tokens match unless
 *    both have a country token and they differ, or both have a domain and
 *    their label tokens differ (acme.com and acme.de agree, nordvik.com and
 *    nordvik-logistics.no do not) — the clear matcher's vetoes. One partner
 *    per account: accounts are taken in order of name token, then id, the
 *    first free partner in the same order.
 *
 * Pure and deterministic: the same rows give the same pairs in the same
 * order. Pairs carry record references (`a`: the proposer's, `b`: the
 * counterparty's), method, score 1, the matching token as key, and the cell.
 */

const RANK: Readonly<Record<Population, number>> = { customer: 0, opportunity: 1, prospect: 2 };

/** One side's blind rows, by column, in file order. */
export class BlindTable {
  readonly records: string[] = [];
  readonly ranks: number[] = [];
  readonly domains: (string | undefined)[] = [];
  readonly labels: (string | undefined)[] = [];
  readonly names: (string | undefined)[] = [];
  readonly countries: (string | undefined)[] = [];

  static from(rows: Iterable<BlindRow>): BlindTable {
    const table = new BlindTable();
    for (const row of rows) table.add(row);
    return table;
  }

  get length(): number {
    return this.records.length;
  }

  add(row: BlindRow): void {
    this.records.push(row.record);
    this.ranks.push(RANK[row.population]);
    this.domains.push(row.domainToken);
    this.labels.push(row.labelToken);
    this.names.push(row.nameToken);
    this.countries.push(row.countryToken);
  }
}

export type BlindMatchOptions = Pick<MatchOptions, 'domain' | 'name'>;

interface Account {
  /** `d:` + domain token, or `n:` + name token: unique on its side. */
  id: string;
  rows: number[];
  /** The representative row: the strongest population, the first of equals. */
  rep: number;
}

interface Grouped {
  byDomain: Map<string, Account>;
  byName: Map<string, Account>;
}

function group(table: BlindTable, useDomain: boolean): Grouped {
  const byDomain = new Map<string, Account>();
  const byName = new Map<string, Account>();
  for (let row = 0; row < table.length; row++) {
    const domain = useDomain ? table.domains[row] : undefined;
    let map = byDomain;
    let key = domain;
    if (key === undefined) {
      map = byName;
      key = table.names[row];
      if (key === undefined) continue;
    }
    const account = map.get(key);
    if (account === undefined) {
      map.set(key, { id: `${domain === undefined ? 'n' : 'd'}:${key}`, rows: [row], rep: row });
    } else {
      account.rows.push(row);
      if (table.ranks[row]! < table.ranks[account.rep]!) account.rep = row;
    }
  }
  return { byDomain, byName };
}

const populationOf = (table: BlindTable, row: number): Population => POPULATIONS[table.ranks[row]!]!;
const recordsOf = (table: BlindTable, account: Account): string[] => account.rows.map((row) => table.records[row]!);

interface Leftover {
  account: Account;
  name: string;
  /** Label token of its domain, when it has one. */
  label: string | undefined;
  country: string | undefined;
}

function leftovers(table: BlindTable, grouped: Grouped, matched: ReadonlySet<string>): Map<string, Leftover[]> {
  const byName = new Map<string, Leftover[]>();
  const add = (account: Account, domain: boolean) => {
    const name = table.names[account.rep];
    if (name === undefined) return;
    const leftover: Leftover = { account, name, label: domain ? table.labels[account.rep] : undefined, country: table.countries[account.rep] };
    const list = byName.get(name);
    if (list) list.push(leftover);
    else byName.set(name, [leftover]);
  };
  for (const [domain, account] of grouped.byDomain) if (!matched.has(domain)) add(account, true);
  for (const account of grouped.byName.values()) add(account, false);
  for (const list of byName.values()) list.sort((x, y) => compare(x.account.id, y.account.id));
  return byName;
}

function compare(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

function vetoed(x: Leftover, y: Leftover): boolean {
  return (x.country !== undefined && y.country !== undefined && x.country !== y.country) || (x.label !== undefined && y.label !== undefined && x.label !== y.label);
}

function counts(table: BlindTable, grouped: Grouped): SideCounts {
  return { rows: table.length, accounts: grouped.byDomain.size + grouped.byName.size };
}

/** Matches the proposer's (`a`) and the counterparty's (`b`) blind rows. */
export function matchBlind(a: BlindTable, b: BlindTable, options: BlindMatchOptions): MatchResult {
  const ga = group(a, options.domain);
  const gb = group(b, options.domain);
  const domainPairs: MatchPair[] = [];
  const matched = new Set<string>();
  for (const [domain, accountA] of ga.byDomain) {
    const accountB = gb.byDomain.get(domain);
    if (accountB === undefined) continue;
    matched.add(domain);
    domainPairs.push({
      a: recordsOf(a, accountA),
      b: recordsOf(b, accountB),
      method: 'domain',
      score: 1,
      keys: { domain },
      cell: [populationOf(a, accountA.rep), populationOf(b, accountB.rep)],
    });
  }
  domainPairs.sort((x, y) => compare(x.keys.domain!, y.keys.domain!));

  const namePairs: MatchPair[] = [];
  if (options.name) {
    const leftA = leftovers(a, ga, matched);
    const leftB = leftovers(b, gb, matched);
    for (const name of [...leftA.keys()].sort()) {
      const candidates = leftB.get(name);
      if (candidates === undefined) continue;
      const taken = new Uint8Array(candidates.length);
      for (const x of leftA.get(name)!) {
        const at = candidates.findIndex((y, index) => taken[index] === 0 && !vetoed(x, y));
        if (at < 0) continue;
        taken[at] = 1;
        const y = candidates[at]!;
        namePairs.push({
          a: recordsOf(a, x.account),
          b: recordsOf(b, y.account),
          method: 'name',
          score: 1,
          keys: { nameA: name, nameB: name },
          cell: [populationOf(a, x.account.rep), populationOf(b, y.account.rep)],
        });
      }
    }
  }
  return { pairs: [...domainPairs, ...namePairs], a: counts(a, ga), b: counts(b, gb) };
}
