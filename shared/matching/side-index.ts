import { type AccountTable, type CodeUnits, compareSpans, inSharedMemory, Interner } from './account-table.ts';
import { canonicalPermutation, longestToken, nameKeyHashes } from './name-stage.ts';
import { type NameColumns, NameColumnsBuilder } from './similarity.ts';

/**
 * What the matcher needs of one side that does not depend on the other:
 * the accounts after deduplication, and the accounts with a name in
 * canonical order with their block keys. Built where the side was read (in
 * its worker thread, beside the other side's), so the match itself only
 * joins, filters and compares. Plain data: typed arrays and numbers.
 */
export interface SideIndex {
  /** Whether rows were grouped by domain (`terms.matching.domain`). */
  useDomain: boolean;
  /** The table's rows when indexed (an index of fewer rows is stale). */
  rows: number;
  /**
   * Groups 0 to `domainGroups - 1` are the table's domain ids (none when the
   * domain is off), the others the rows without a domain with one name key,
   * in the order of their first row.
   */
  domainGroups: number;
  /** The representative row of each group (strongest population, then first), or -1 for a domain without rows. */
  rep: Int32Array;
  /** Rows of group `g`: `members[start[g]..start[g + 1])`, first row first. */
  start: Int32Array;
  members: Int32Array;
  /** Accounts after deduplication. */
  accounts: number;
  /** The groups whose name is not empty, in canonical order (name without spaces, then id: `d:` + domain before `n:` + name). */
  group: Int32Array;
  /** Their names, by canonical position. */
  names: NameColumns;
  /** Longest token of each position (a token index of `names`). */
  longest: Int32Array;
  /** FNV-1a of each position's block keys, at position * 3 + kind (token, first four, last four letters). */
  keyHashes: Uint32Array;
  /** Where each position's website label (the domain before its first dot) is in the table's domain characters; -1 without a website. */
  labelFrom: Int32Array;
  labelTo: Int32Array;
}

/** Deduplicates a side: rows by domain (when used), the others by name key. */
export function groupRows(table: AccountTable, useDomain: boolean): Pick<SideIndex, 'domainGroups' | 'rep' | 'start' | 'members' | 'accounts'> {
  const n = table.length;
  const domainGroups = useDomain ? table.domains.size : 0;
  const names = new Interner();
  const groupOf = new Int32Array(n);
  const { chars } = table.names;
  for (let row = 0; row < n; row++) {
    const d = useDomain ? table.domainId(row) : -1;
    if (d >= 0) groupOf[row] = d;
    else {
      const from = table.names.start(row);
      const to = table.names.end(row);
      groupOf[row] = to === from ? -1 : domainGroups + names.internSpan(chars, from, to);
    }
  }
  const groups = domainGroups + names.size;
  const start = new Int32Array(groups + 1);
  for (let row = 0; row < n; row++) if (groupOf[row]! >= 0) start[groupOf[row]! + 1]!++;
  for (let g = 0; g < groups; g++) start[g + 1]! += start[g]!;
  const fill = start.slice(0, groups);
  const members = new Int32Array(start[groups]!);
  const rep = new Int32Array(groups).fill(-1);
  for (let row = 0; row < n; row++) {
    const g = groupOf[row]!;
    if (g < 0) continue;
    members[fill[g]!++] = row;
    if (rep[g]! < 0 || table.rank(row) < table.rank(rep[g]!)) rep[g] = row;
  }
  let accounts = names.size;
  for (let d = 0; d < domainGroups; d++) if (rep[d]! >= 0) accounts++;
  return { domainGroups, rep, start, members, accounts };
}

/** The side's index (see `SideIndex`); `matchAccounts` builds it when a table comes without one. */
export function indexSide(table: AccountTable, useDomain: boolean): SideIndex {
  const grouped = groupRows(table, useDomain);
  const { rep, domainGroups } = grouped;
  const names = table.names;
  const domains = table.domains.values;
  const named: number[] = [];
  for (let g = 0; g < rep.length; g++) if (rep[g]! >= 0 && names.end(rep[g]!) > names.start(rep[g]!)) named.push(g);
  const builder = new NameColumnsBuilder(named.length);
  for (const g of named) builder.addSpan(names.chars, names.start(rep[g]!), names.end(rep[g]!));
  const unordered = builder.build();
  // Ties of equal names are broken by id: `d:` + domain before `n:` + name key.
  const permutation = canonicalPermutation(unordered, (x, y) => {
    const gx = named[x]!;
    const gy = named[y]!;
    const dx = gx < domainGroups;
    if (dx !== gy < domainGroups) return dx ? -1 : 1;
    if (dx) return compareSpans(domains.chars, domains.start(gx), domains.end(gx), domains.chars, domains.start(gy), domains.end(gy));
    const rx = rep[gx]!;
    const ry = rep[gy]!;
    return compareSpans(names.chars, names.start(rx), names.end(rx), names.chars, names.start(ry), names.end(ry));
  });
  const n = permutation.length;
  const group = new Int32Array(n);
  const ordered = new NameColumnsBuilder(n, unordered.chars.length);
  for (let k = 0; k < n; k++) {
    group[k] = named[permutation[k]!]!;
    ordered.addColumnsName(unordered, permutation[k]!);
  }
  const columns = ordered.build();
  const longest = new Int32Array(n);
  const keyHashes = new Uint32Array(n * 3);
  const labelFrom = new Int32Array(n).fill(-1);
  const labelTo = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    longest[k] = longestToken(columns, k);
    nameKeyHashes(columns, k, longest[k]!, keyHashes, k * 3);
    const g = group[k]!;
    if (g < domainGroups) {
      const from = domains.start(g);
      const to = domains.end(g);
      let dot = from;
      while (dot < to && domains.chars[dot] !== 46) dot++;
      labelFrom[k] = from;
      labelTo[k] = dot;
    }
  }
  return { useDomain, rows: table.length, ...grouped, group, names: columns, longest, keyHashes, labelFrom, labelTo };
}

/** The typed arrays of an index. */
export function sideIndexArrays(index: SideIndex): (Int32Array | Uint32Array | CodeUnits)[] {
  const { rep, start, members, group, names, longest, keyHashes, labelFrom, labelTo } = index;
  return [rep, start, members, group, names.chars, names.starts, names.tokenEnds, names.firstToken, longest, keyHashes, labelFrom, labelTo];
}

/** The index with what the name stage reads (names, block keys, website labels) in shared memory, for a comparison thread (`inSharedMemory`). */
export function shareNameStageArrays(index: SideIndex): SideIndex {
  const { names } = index;
  return {
    ...index,
    names: { chars: inSharedMemory(names.chars), starts: inSharedMemory(names.starts), tokenEnds: inSharedMemory(names.tokenEnds), firstToken: inSharedMemory(names.firstToken) },
    longest: inSharedMemory(index.longest),
    keyHashes: inSharedMemory(index.keyHashes),
    labelFrom: inSharedMemory(index.labelFrom),
    labelTo: inSharedMemory(index.labelTo),
  };
}
