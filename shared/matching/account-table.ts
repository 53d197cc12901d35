import { POPULATIONS, type Population } from '../terms.ts';
import type { SideIndex } from './side-index.ts';

/**
 * The matcher's input, stored for a million rows a side: strings end to end
 * in typed arrays instead of one JS string per value, the population as one
 * byte, domains interned once. A table costs about 60 bytes a row, is cheap
 * for the garbage collector (a handful of objects whatever its length), and
 * moves between threads without a copy (`toData`, `fromData`).
 */

/**
 * Code units of strings end to end: one byte each while every one is below
 * 256 (Latin-1, of which ASCII is part: nearly every name, domain and ref),
 * two bytes (UTF-16) once one is not. The values are the same code units
 * either way, so hashes, comparisons and strings do not depend on the width.
 */
export type CodeUnits = Uint8Array | Uint16Array;

/** A copy of one-byte code units as two-byte ones, `capacity` long, for a column that must hold a code unit over 255. */
export function widen(chars: CodeUnits, used: number, capacity = chars.length): Uint16Array {
  const wide = new Uint16Array(capacity);
  wide.set(chars.subarray(0, used));
  return wide;
}

/** Whether code units `from` to `to` of `source` fit one byte each. */
export function fitsOneByte(source: CodeUnits, from: number, to: number): boolean {
  if (source instanceof Uint8Array) return true;
  for (let k = from; k < to; k++) if (source[k]! > 0xff) return false;
  return true;
}

/** 32-bit FNV-1a over code units, `from` to `to` of `chars`, continuing `hash`. */
export function fnv1aCodes(chars: CodeUnits, from: number, to: number, hash = 0x811c9dc5): number {
  for (let i = from; i < to; i++) {
    hash ^= chars[i]!;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** 32-bit FNV-1a over the UTF-16 code units of a string, continuing `hash`. */
export function fnv1aString(value: string, hash = 0x811c9dc5): number {
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Code units `from` to `to` of `chars` as a string. */
function spanToString(chars: CodeUnits, from: number, to: number): string {
  if (to - from < 1024) return String.fromCharCode.apply(null, chars.subarray(from, to) as unknown as number[]);
  let out = '';
  for (let at = from; at < to; at += 1024) out += String.fromCharCode.apply(null, chars.subarray(at, Math.min(to, at + 1024)) as unknown as number[]);
  return out;
}

/**
 * The first `length` elements of a growable array: a view when it is
 * nearly full, else a copy of that size, so that a finished column does not
 * keep (or send to another thread) the spare half of its last growth.
 */
export function trimmed<T extends CodeUnits | Int32Array | Uint32Array>(array: T, length: number): T {
  return (length * 8 >= array.length * 7 ? array.subarray(0, length) : array.slice(0, length)) as T;
}

type TypedArray = Uint8Array | Uint16Array | Int32Array | Uint32Array | Float64Array;

/**
 * `array` in shared memory: itself when it is there already, else a copy.
 * Posted to another thread, an array in shared memory is neither copied nor
 * taken from this one; both read the same bytes (the matcher never writes an
 * array another thread reads).
 */
export function inSharedMemory<T extends TypedArray>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const copy = new (array.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

/** The buffers of `arrays` that can be transferred (not shared memory), each once. */
export function transferable(arrays: readonly TypedArray[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) if (!(array.buffer instanceof SharedArrayBuffer)) buffers.add(array.buffer);
  return [...buffers];
}

/** Compares two spans of code units as JS compares strings (by code unit, a prefix first). */
export function compareSpans(x: CodeUnits, xFrom: number, xTo: number, y: CodeUnits, yFrom: number, yTo: number): number {
  const n = Math.min(xTo - xFrom, yTo - yFrom);
  for (let k = 0; k < n; k++) {
    const d = x[xFrom + k]! - y[yFrom + k]!;
    if (d !== 0) return d;
  }
  return xTo - xFrom - (yTo - yFrom);
}

export function spansEqual(x: CodeUnits, xFrom: number, xTo: number, y: CodeUnits, yFrom: number, yTo: number): boolean {
  const n = xTo - xFrom;
  if (n !== yTo - yFrom) return false;
  for (let k = 0; k < n; k++) if (x[xFrom + k] !== y[yFrom + k]) return false;
  return true;
}

/** The plain-data form of a `StringColumn`. */
export interface StringColumnData {
  chars: CodeUnits;
  /** End offset of each string in `chars`. */
  ends: Int32Array;
}

/** Strings end to end in one growable array of code units (`CodeUnits`: one byte each while they fit); string `i` is `chars[start(i)..end(i))`. */
export class StringColumn {
  chars: CodeUnits;
  ends: Int32Array;
  length = 0;
  used = 0;

  constructor(data?: StringColumnData) {
    this.chars = data?.chars ?? new Uint8Array(4096);
    this.ends = data?.ends ?? new Int32Array(256);
    if (data) {
      this.length = data.ends.length;
      this.used = this.length === 0 ? 0 : data.ends[this.length - 1]!;
    }
  }

  start(i: number): number {
    return i === 0 ? 0 : this.ends[i - 1]!;
  }

  end(i: number): number {
    return this.ends[i]!;
  }

  get(i: number): string {
    return spanToString(this.chars, this.start(i), this.ends[i]!);
  }

  push(value: string): number {
    const from = this.used;
    const to = from + value.length;
    if (to > this.chars.length) this.growChars(to);
    let chars = this.chars;
    for (let k = 0; k < value.length; k++) {
      const code = value.charCodeAt(k);
      if (code > 0xff && chars instanceof Uint8Array) chars = this.chars = widen(chars, from + k);
      chars[from + k] = code;
    }
    return this.close(to);
  }

  pushSpan(source: CodeUnits, from: number, to: number): number {
    const at = this.used;
    const end = at + (to - from);
    if (end > this.chars.length) this.growChars(end);
    if (this.chars instanceof Uint8Array && !fitsOneByte(source, from, to)) this.chars = widen(this.chars, at);
    this.chars.set(source.subarray(from, to), at);
    return this.close(end);
  }

  /** The column as plain data, its arrays trimmed to their content. */
  data(): StringColumnData {
    return { chars: trimmed(this.chars, this.used), ends: trimmed(this.ends, this.length) };
  }

  private close(end: number): number {
    if (this.length === this.ends.length) {
      const ends = new Int32Array(this.ends.length * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.used = end;
    this.ends[this.length] = end;
    return this.length++;
  }

  private growChars(atLeast: number): void {
    const size = Math.max(atLeast, this.chars.length * 2);
    const chars = this.chars instanceof Uint8Array ? new Uint8Array(size) : new Uint16Array(size);
    chars.set(this.chars.subarray(0, this.used));
    this.chars = chars;
  }
}

/** Distinct strings, each stored once, found again by an open-addressing hash table. */
export class Interner {
  readonly values: StringColumn;
  private hashes: Int32Array;
  private slots: Int32Array;

  constructor(data?: StringColumnData) {
    this.values = new StringColumn(data);
    this.hashes = new Int32Array(Math.max(256, this.values.length));
    let size = 1024;
    while (size < 2 * (this.values.length + 1)) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    for (let id = 0; id < this.values.length; id++) {
      this.hashes[id] = fnv1aCodes(this.values.chars, this.values.start(id), this.values.end(id));
      this.place(id);
    }
  }

  get size(): number {
    return this.values.length;
  }

  /** The id of the string, added when new. */
  intern(value: string): number {
    const hash = fnv1aString(value) | 0;
    const mask = this.slots.length - 1;
    const { chars } = this.values;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot]!;
      if (id < 0) break;
      if (this.hashes[id] === hash && this.equalsString(id, value, chars)) return id;
    }
    return this.add(this.values.push(value), hash);
  }

  /** The id of the span's string, added when new. */
  internSpan(source: CodeUnits, from: number, to: number): number {
    const found = this.findSpan(source, from, to);
    return found >= 0 ? found : this.add(this.values.pushSpan(source, from, to), fnv1aCodes(source, from, to) | 0);
  }

  /** The id of a string, or -1. */
  find(value: string): number {
    const hash = fnv1aString(value) | 0;
    const mask = this.slots.length - 1;
    const { chars } = this.values;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot]!;
      if (id < 0) return -1;
      if (this.hashes[id] === hash && this.equalsString(id, value, chars)) return id;
    }
  }

  /** The id of the span's string, or -1. */
  findSpan(source: CodeUnits, from: number, to: number): number {
    return this.findHashed(source, from, to, fnv1aCodes(source, from, to) | 0);
  }

  /** The id in this interner of string `id` of another interner, or -1 (its hash is not computed again). */
  findOf(other: Interner, id: number): number {
    return this.findHashed(other.values.chars, other.values.start(id), other.values.end(id), other.hashes[id]!);
  }

  private findHashed(source: CodeUnits, from: number, to: number, hash: number): number {
    const mask = this.slots.length - 1;
    const { chars } = this.values;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const id = this.slots[slot]!;
      if (id < 0) return -1;
      if (this.hashes[id] === hash && spansEqual(chars, this.values.start(id), this.values.end(id), source, from, to)) return id;
    }
  }

  private equalsString(id: number, value: string, chars: CodeUnits): boolean {
    const from = this.values.start(id);
    if (this.values.end(id) - from !== value.length) return false;
    for (let k = 0; k < value.length; k++) if (chars[from + k] !== value.charCodeAt(k)) return false;
    return true;
  }

  private add(id: number, hash: number): number {
    if (id === this.hashes.length) {
      const hashes = new Int32Array(this.hashes.length * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
    }
    this.hashes[id] = hash;
    if ((id + 1) * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(-1);
      for (let k = 0; k <= id; k++) this.place(k);
    } else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[id]! & mask;
    while (this.slots[slot]! >= 0) slot = (slot + 1) & mask;
    this.slots[slot] = id;
  }
}

/** One row of a contribution after normalisation. */
export interface NormalisedAccount {
  /** The row's reference in its file: the `id` column, or the line number. */
  ref: string;
  population: Population;
  /** Registrable domain (eTLD+1), lower case; absent for none or free mail. */
  domainKey?: string;
  /** Comparable company name: folded, lower case, no legal suffix, tokens split by single spaces; may be empty. */
  nameKey: string;
  country?: string;
}

const RANK: Readonly<Record<Population, number>> = { customer: 0, opportunity: 1, prospect: 2 };

/** The plain-data form of an `AccountTable`: typed arrays and strings only, for `postMessage` or storage. */
export interface AccountTableData {
  refs: StringColumnData;
  names: StringColumnData;
  domains: StringColumnData;
  countries: string[];
  ranks: Uint8Array;
  domainIds: Int32Array;
  countryIds: Int32Array;
  index?: SideIndex;
}

/**
 * A side's accounts, by column: refs and name keys end to end in code-unit
 * arrays, the population as one byte, domains and countries interned once
 * and referenced by number (-1 for none).
 */
export class AccountTable {
  readonly refs: StringColumn;
  readonly names: StringColumn;
  /** Distinct domain keys, by id. */
  readonly domains: Interner;
  readonly countries: string[];
  /** The matcher's index of this side, when built where the side was read (`indexSide`). */
  index: SideIndex | undefined;
  private readonly countryIndex = new Map<string, number>();
  private ranks: Uint8Array;
  private domainIdOf: Int32Array;
  private countryIdOf: Int32Array;

  constructor(data?: AccountTableData) {
    this.refs = new StringColumn(data?.refs);
    this.names = new StringColumn(data?.names);
    this.domains = new Interner(data?.domains);
    this.countries = data ? [...data.countries] : [];
    this.countries.forEach((country, id) => this.countryIndex.set(country, id));
    this.ranks = data?.ranks ?? new Uint8Array(1024);
    this.domainIdOf = data?.domainIds ?? new Int32Array(1024);
    this.countryIdOf = data?.countryIds ?? new Int32Array(1024);
    this.index = data?.index;
  }

  static from(accounts: Iterable<NormalisedAccount>): AccountTable {
    const table = new AccountTable();
    for (const account of accounts) table.add(account);
    return table;
  }

  static fromData(data: AccountTableData): AccountTable {
    return new AccountTable(data);
  }

  get length(): number {
    return this.refs.length;
  }

  add(account: NormalisedAccount): void {
    this.addRow(account.ref, account.population, account.nameKey, account.domainKey, account.country);
  }

  addRow(ref: string, population: Population, nameKey: string, domainKey: string | undefined, country: string | undefined): void {
    const row = this.refs.length;
    if (row === this.ranks.length) this.grow();
    this.refs.push(ref);
    this.names.push(nameKey);
    this.ranks[row] = RANK[population];
    this.domainIdOf[row] = domainKey ? this.domains.intern(domainKey) : -1;
    this.countryIdOf[row] = country ? this.internCountry(country) : -1;
  }

  ref(row: number): string {
    return this.refs.get(row);
  }

  nameKey(row: number): string {
    return this.names.get(row);
  }

  rank(row: number): number {
    return this.ranks[row]!;
  }

  population(row: number): Population {
    return POPULATIONS[this.ranks[row]!]!;
  }

  domainId(row: number): number {
    return this.domainIdOf[row]!;
  }

  domainKey(row: number): string | undefined {
    const id = this.domainIdOf[row]!;
    return id < 0 ? undefined : this.domains.values.get(id);
  }

  /** The id of a domain key in this table, or -1. */
  findDomain(domainKey: string): number {
    return this.domains.find(domainKey);
  }

  countryId(row: number): number {
    return this.countryIdOf[row]!;
  }

  country(row: number): string | undefined {
    const id = this.countryIdOf[row]!;
    return id < 0 ? undefined : this.countries[id];
  }

  row(row: number): NormalisedAccount {
    const account: NormalisedAccount = { ref: this.ref(row), population: this.population(row), nameKey: this.nameKey(row) };
    const domainKey = this.domainKey(row);
    const country = this.country(row);
    if (domainKey !== undefined) account.domainKey = domainKey;
    if (country !== undefined) account.country = country;
    return account;
  }

  /** The table as plain data, its arrays trimmed to its rows. */
  toData(): AccountTableData {
    const n = this.length;
    return {
      refs: this.refs.data(),
      names: this.names.data(),
      domains: this.domains.values.data(),
      countries: [...this.countries],
      ranks: trimmed(this.ranks, n),
      domainIds: trimmed(this.domainIdOf, n),
      countryIds: trimmed(this.countryIdOf, n),
      ...(this.index ? { index: this.index } : {}),
    };
  }

  private internCountry(country: string): number {
    let id = this.countryIndex.get(country);
    if (id === undefined) {
      id = this.countries.length;
      this.countries.push(country);
      this.countryIndex.set(country, id);
    }
    return id;
  }

  private grow(): void {
    const size = this.ranks.length * 2;
    const ranks = new Uint8Array(size);
    ranks.set(this.ranks);
    this.ranks = ranks;
    const domains = new Int32Array(size);
    domains.set(this.domainIdOf);
    this.domainIdOf = domains;
    const countries = new Int32Array(size);
    countries.set(this.countryIdOf);
    this.countryIdOf = countries;
  }
}
