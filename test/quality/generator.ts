/**
 * A seeded generator of two realistic CRM exports with known truth, for the
 * matching quality tests and `npm run bench`.
 *
 * Companies ("entities") get a unique base name built from invented brand
 * words, surnames, adjectives and industry words, a home country and a
 * website. Some share a first word with a different company ("Delta Air
 * Lines" / "Delta Dental"), carry the same name in another country, live on a
 * hosting platform's subdomain (Public Suffix List, private section), or run a
 * second, country-code domain (acme.com / acme.de). Each side's export
 * renders its companies' rows with the variations of real CRMs: case, `&` and
 * `and`, legal suffixes added, dropped or changed, "The", diacritics, typos,
 * URLs in every form (`www.`, scheme, path, subdomain, capitals), a work
 * e-mail instead of a website, free-mail addresses, missing websites and
 * countries, the same company twice with different populations, and junk
 * rows. Same seed, same files, byte for byte.
 *
 * Truth: the data row n of a file has id `${prefix}${n}`; `truth[n]` is its
 * company (or -1 for a junk row) and `domains[n]` the registrable domain the
 * row was rendered from (undefined when it has none).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { POPULATIONS, type Population } from '../../shared/terms.ts';

// ---------------------------------------------------------------------------
// Seeded randomness

/** sfc32, seeded through splitmix32: fast, 128 bits of state, good enough for test data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

// ---------------------------------------------------------------------------
// Vocabulary

const ONSETS = ['b', 'br', 'c', 'cl', 'd', 'dr', 'f', 'g', 'gr', 'h', 'k', 'kr', 'l', 'm', 'n', 'p', 'pr', 'qu', 'r', 's', 'st', 't', 'tr', 'v', 'w', 'z', 'x', 'j', 'sh', 'th'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'io', 'y', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'x', 's', 'l', 'm', 'nt', 'rk', 'st', 'ck', 'ly', 'ra', 'va', 'on', 'ix', 'is', 'ex'];
const INDUSTRIES = [
  'Systems', 'Solutions', 'Technologies', 'Logistics', 'Health', 'Healthcare', 'Capital', 'Partners', 'Foods', 'Energy', 'Labs', 'Software',
  'Consulting', 'Group', 'Holdings', 'Industries', 'Manufacturing', 'Pharma', 'Bank', 'Insurance', 'Media', 'Networks', 'Analytics', 'Robotics',
  'Motors', 'Air Lines', 'Dental', 'Financial', 'Realty', 'Retail', 'Marketing', 'Design', 'Construction', 'Engineering', 'Security', 'Telecom',
  'Brewing', 'Apparel', 'Travel', 'Hospitality', 'Biotech', 'Therapeutics', 'Devices', 'Instruments', 'Materials', 'Chemicals', 'Aerospace',
  'Freight', 'Shipping', 'Studios', 'Games', 'Education', 'Learning', 'Legal', 'Advisors', 'Ventures', 'Properties', 'Services', 'Supply',
  'Equipment', 'Electric', 'Power', 'Water', 'Solar', 'Mining', 'Metals', 'Textiles', 'Furniture', 'Outdoor', 'Sports', 'Pet Care', 'Beauty',
  'Cosmetics', 'Fashion', 'Coffee', 'Bakery', 'Farms', 'Organics', 'Wellness', 'Clinic', 'Diagnostics', 'Imaging', 'Data', 'Cloud', 'Cyber Security',
  'Digital', 'Mobile', 'Payments', 'Lending', 'Wealth Management', 'Trust', 'Credit Union', 'Express', 'Hotels', 'Dynamics', 'Automation', 'Printing',
];
const ADJECTIVES = [
  'North', 'South', 'Pacific', 'Atlantic', 'Summit', 'Pioneer', 'Liberty', 'Eagle', 'Blue', 'Green', 'Red', 'Silver', 'Golden', 'Apex', 'Delta',
  'Alpha', 'Omega', 'Vertex', 'Horizon', 'Evergreen', 'Cedar', 'Oak', 'Maple', 'River', 'Lake', 'Harbor', 'Coastal', 'Mountain', 'Valley', 'Prairie',
  'Metro', 'Urban', 'Global', 'United', 'National', 'American', 'European', 'First', 'Prime', 'Premier', 'Royal', 'Crown', 'Star', 'Sun', 'Polar',
  'Iron', 'Stone', 'Bright', 'Clear', 'Swift', 'Noble', 'Grand', 'Central', 'Western', 'Eastern', 'Northern', 'Southern', 'Midwest', 'Highland',
];
const NOUNS = ['Harbor', 'Bridge', 'Peak', 'Rock', 'Leaf', 'Wave', 'Field', 'Forge', 'Point', 'Gate', 'Path', 'Stream', 'Ridge', 'Crest', 'Grove', 'Arrow', 'Anchor', 'Beacon', 'Compass', 'Falcon', 'Lion', 'Wolf', 'Bear', 'Hawk', 'Pine', 'Spring', 'Shore', 'Mill', 'Works', 'Line'];
const SURNAMES = [
  'Smith', 'Johnson', 'Miller', 'Hartmann', 'Schneider', 'Dubois', 'Rossi', 'García', 'Müller', 'Nakamura', 'Kowalski', 'Andersson', 'Jensen', 'Brennan',
  'Van Dijk', 'Fischer', 'Weber', 'Moreau', 'Lefèvre', 'Bianchi', 'Romano', 'Silva', 'Santos', 'Novak', 'Horvat', 'Nielsen', 'Larsen', 'Tanaka',
  'Suzuki', 'Kim', 'Park', 'Chen', 'Wang', 'Patel', 'Shah', 'Cohen', 'Levy', 'Murphy', 'Kelly', 'Walsh', 'Baker', 'Carter', 'Hughes', 'Price',
  'Bennett', 'Wood', 'Barnes', 'Ross', 'Foster', 'Gray', 'James', 'Reyes', 'Cruz', 'Ortiz', 'Núñez', 'Öztürk', 'Yılmaz', 'Åberg', 'Søndergaard',
];
const COUNTRIES: readonly { code: string; weight: number; tlds: readonly string[]; suffixes: readonly string[] }[] = [
  { code: 'US', weight: 45, tlds: ['com', 'com', 'com', 'io', 'net', 'co'], suffixes: ['Inc', 'Inc.', 'LLC', 'Corp', 'Corporation', 'Co.', 'Incorporated'] },
  { code: 'GB', weight: 12, tlds: ['co.uk', 'com', 'uk'], suffixes: ['Ltd', 'Ltd.', 'Limited', 'PLC', 'LLP'] },
  { code: 'DE', weight: 10, tlds: ['de', 'com'], suffixes: ['GmbH', 'AG', 'GmbH & Co. KG', 'KG'] },
  { code: 'FR', weight: 7, tlds: ['fr', 'com'], suffixes: ['S.A.', 'SAS', 'SARL', 'SA'] },
  { code: 'NL', weight: 4, tlds: ['nl', 'com'], suffixes: ['B.V.', 'BV', 'N.V.'] },
  { code: 'ES', weight: 4, tlds: ['es', 'com'], suffixes: ['S.L.', 'S.A.'] },
  { code: 'IT', weight: 4, tlds: ['it', 'com'], suffixes: ['S.p.A.', 'S.r.l.', 'SRL'] },
  { code: 'JP', weight: 4, tlds: ['co.jp', 'jp', 'com'], suffixes: ['K.K.', 'Co., Ltd.'] },
  { code: 'AU', weight: 4, tlds: ['com.au', 'com'], suffixes: ['Pty Ltd', 'Pty. Ltd.'] },
  { code: 'BR', weight: 3, tlds: ['com.br', 'com'], suffixes: ['Ltda', 'S.A.'] },
  { code: 'CA', weight: 3, tlds: ['ca', 'com'], suffixes: ['Inc', 'Ltd', 'Corp'] },
];
const PLATFORMS = ['myshopify.com', 'wixsite.com', 'herokuapp.com', 'github.io', 'netlify.app', 'blogspot.com', 'azurewebsites.net', 'vercel.app'];
const FREE_MAIL = ['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com', 'aol.com', 'gmx.de', 'web.de', 'icloud.com'];
const FIRST_NAMES = ['anna', 'ben', 'carla', 'dev', 'eva', 'farid', 'gina', 'hugo', 'ines', 'jon', 'kai', 'lena', 'mo', 'nora', 'omar', 'pia', 'raj', 'sara', 'tom', 'uma'];
const OWNERS = ['Alex Moore', 'Sam Lee', 'Priya Natarajan', 'Jordan Blake', 'Chris Wu', 'Maria Lopez', ''];
const NOISE = new Set(['&', 'Group', 'Holdings']);
const JUNK_NAMES = ['Test', 'test account', 'N/A', 'Unknown', '-', 'asdf', 'DO NOT USE', '???'];

const countryWeights = COUNTRIES.reduce((sum, country) => sum + country.weight, 0);

function pickCountry(random: Random): (typeof COUNTRIES)[number] {
  let roll = random() * countryWeights;
  for (const country of COUNTRIES) {
    roll -= country.weight;
    if (roll < 0) return country;
  }
  return COUNTRIES[0]!;
}

function brandWord(random: Random): string {
  const syllables = random() < 0.6 ? 2 : 3;
  let word = '';
  for (let s = 0; s < syllables; s++) word += pick(random, ONSETS) + pick(random, VOWELS);
  word += pick(random, CODAS);
  return word.charAt(0).toUpperCase() + word.slice(1);
}

// ---------------------------------------------------------------------------
// Companies

export interface Entity {
  /** Base name words, without legal suffix. */
  words: string[];
  country: string;
  suffixes: readonly string[];
  domain: string;
  /** A second domain some rows use: the same label in another country's TLD, or a marketing domain (getacme.com, acmehq.com). */
  altDomain?: string;
}

const fold = (text: string) => text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
const slug = (words: readonly string[]) => fold(words.join('')).replace(/[^a-z0-9]/g, '');

function baseWords(random: Random): string[] {
  const roll = random();
  if (roll < 0.4) return [brandWord(random), ...pick(random, INDUSTRIES).split(' ')];
  if (roll < 0.55) return [brandWord(random)];
  if (roll < 0.7) return [pick(random, ADJECTIVES), pick(random, NOUNS), ...pick(random, INDUSTRIES).split(' ')];
  if (roll < 0.8) return [pick(random, SURNAMES), ...pick(random, INDUSTRIES).split(' ')];
  if (roll < 0.87) return [pick(random, SURNAMES), '&', pick(random, SURNAMES)];
  if (roll < 0.94) return [brandWord(random), brandWord(random)];
  return [pick(random, ADJECTIVES), brandWord(random), ...pick(random, INDUSTRIES).split(' ')];
}

interface EntityState {
  random: Random;
  names: Set<string>;
  domains: Set<string>;
}

function makeDomain(state: EntityState, words: readonly string[], tlds: readonly string[]): string {
  const { random } = state;
  const plain = words.filter((word) => word !== '&');
  const forms = [slug(plain.slice(0, 1)), slug(plain), plain.map((word) => slug([word])).join('-'), slug(plain.slice(0, 2))];
  for (let attempt = 0; ; attempt++) {
    const label = attempt < 4 ? forms[Math.floor(random() * forms.length)]! : `${forms[1]!}${attempt}`;
    if (label.length < 2) continue;
    const domain = random() < 0.005 ? `${label}.${pick(random, PLATFORMS)}` : `${label}.${pick(random, tlds)}`;
    if (!state.domains.has(domain)) {
      state.domains.add(domain);
      return domain;
    }
  }
}

function makeEntity(state: EntityState, words: string[], country = pickCountry(state.random)): Entity {
  const entity: Entity = { words, country: country.code, suffixes: country.suffixes, domain: makeDomain(state, words, country.tlds) };
  if (state.random() < 0.1 && !PLATFORMS.some((platform) => entity.domain.endsWith(platform))) {
    const label = entity.domain.slice(0, entity.domain.indexOf('.'));
    const other = pickCountry(state.random);
    const alt = `${label}.${other.tlds[0]!}`;
    if (alt !== entity.domain && !state.domains.has(alt)) {
      state.domains.add(alt);
      entity.altDomain = alt;
    }
  } else if (state.random() < 0.03 && !PLATFORMS.some((platform) => entity.domain.endsWith(platform))) {
    const label = entity.domain.slice(0, entity.domain.indexOf('.'));
    const alt = state.random() < 0.5 ? `get${label}.com` : `${label}hq.com`;
    if (!state.domains.has(alt)) {
      state.domains.add(alt);
      entity.altDomain = alt;
    }
  }
  return entity;
}

/** `count` companies with unique names; a few share a first word with another or a name in another country. */
export function makeEntities(count: number, random: Random): Entity[] {
  const state: EntityState = { random, names: new Set(), domains: new Set() };
  const out: Entity[] = [];
  const claim = (words: string[]) => {
    // Unique as a set of words without noise: "Wang & Aberg" and "Aberg & Wang", "Zentrix" and "Zentrix Group" would be one firm.
    const key = fold(words.filter((word) => !NOISE.has(word)).sort().join(' '));
    if (state.names.has(key)) return false;
    state.names.add(key);
    return true;
  };
  while (out.length < count) {
    const words = baseWords(random);
    if (!claim(words)) continue;
    const entity = makeEntity(state, words);
    out.push(entity);
    const roll = random();
    if (roll < 0.05 && out.length < count) {
      // A different company whose name starts the same: Delta Air Lines / Delta Dental.
      const sibling = [words[0]!, ...pick(random, INDUSTRIES).split(' ')];
      if (claim(sibling)) out.push(makeEntity(state, sibling));
    } else if (roll < 0.07 && out.length < count) {
      // The same name in another country: another company, another website.
      let other = pickCountry(random);
      if (other.code === entity.country) other = COUNTRIES[(COUNTRIES.indexOf(other) + 1) % COUNTRIES.length]!;
      out.push(makeEntity(state, words, other));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Rows

export interface GeneratorOptions {
  seed: number;
  /** Data rows of each file (junk and duplicates included). */
  rowsA: number;
  rowsB: number;
  /** Share of B's companies that A has too. */
  overlap?: number;
}

export interface Side {
  /** The CSV text is streamed to `write`; ids are `${prefix}${n}`. */
  prefix: string;
  rows: number;
  /** Company of each data row, -1 for junk. */
  truth: Int32Array;
  /** Registrable domain each row was rendered from, or undefined. */
  domains: (string | undefined)[];
}

export const CSV_HEADER = 'id,name,website,email,population,country,owner';

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function typo(random: Random, word: string): string {
  if (word.length < 5) return word;
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  const letter = String.fromCharCode(97 + Math.floor(random() * 26));
  if (kind < 0.3) return word.slice(0, at) + word.slice(at + 1);
  if (kind < 0.6) return word.slice(0, at) + letter + word.slice(at + 1);
  if (kind < 0.8) return word.slice(0, at) + word.charAt(at + 1) + word.charAt(at) + word.slice(at + 2);
  return word.slice(0, at) + letter + word.slice(at);
}

function renderName(random: Random, entity: Entity): string {
  let words = entity.words.map((word) => (word === '&' && random() < 0.3 ? 'and' : word));
  if (random() < 0.03) {
    const longest = words.reduce((best, word, n) => (word.length > words[best]!.length ? n : best), 0);
    words = words.map((word, n) => (n === longest ? typo(random, word) : word));
  }
  if (random() < 0.15) words = words.map(fold);
  let name = words.join(' ');
  if (random() < 0.03) name = `The ${name}`;
  const roll = random();
  if (roll < 0.45) name += random() < 0.4 ? `, ${pick(random, entity.suffixes)}` : ` ${pick(random, entity.suffixes)}`;
  else if (roll < 0.5) name += ` ${pick(random, COUNTRIES).suffixes[0]!}`;
  const cased = random();
  if (cased < 0.08) name = name.toUpperCase();
  else if (cased < 0.14) name = name.toLowerCase();
  if (random() < 0.03) name = `  ${name} `;
  return name;
}

function renderWebsite(random: Random, domain: string): string {
  const roll = random();
  let url: string;
  if (roll < 0.3) url = domain;
  else if (roll < 0.55) url = `www.${domain}`;
  else if (roll < 0.75) url = `https://www.${domain}/`;
  else if (roll < 0.85) url = `http://${domain}/${pick(random, ['contact', 'about-us', 'en/home', 'index.html'])}`;
  else if (roll < 0.92) url = `https://${pick(random, ['shop', 'en', 'app', 'info'])}.${domain}`;
  else url = `https://${domain}?utm_source=crm`;
  return random() < 0.05 ? url.toUpperCase() : url;
}

interface Rendered {
  name: string;
  website: string;
  email: string;
  domain: string | undefined;
  country: string;
}

function renderRow(random: Random, entity: Entity): Rendered {
  const domain = entity.altDomain !== undefined && random() < 0.5 ? entity.altDomain : entity.domain;
  const country = random() < 0.7 ? (random() < 0.1 ? entity.country.toLowerCase() : entity.country) : '';
  const name = renderName(random, entity);
  const roll = random();
  if (roll < 0.62) return { name, website: renderWebsite(random, domain), email: '', domain, country };
  if (roll < 0.77) {
    const website = random() < 0.3 ? renderWebsite(random, domain) : '';
    return { name, website, email: `${pick(random, FIRST_NAMES)}.${pick(random, FIRST_NAMES)}@${domain}`, domain, country };
  }
  if (roll < 0.82) return { name, website: '', email: `${pick(random, FIRST_NAMES)}${Math.floor(random() * 100)}@${pick(random, FREE_MAIL)}`, domain: undefined, country };
  return { name, website: '', email: '', domain: undefined, country };
}

function populationOf(random: Random): Population {
  const roll = random();
  return roll < 0.2 ? 'customer' : roll < 0.4 ? 'opportunity' : 'prospect';
}

function junkRow(random: Random, id: string): string {
  const roll = random();
  if (roll < 0.3) return `${id},,,,prospect,,`;
  if (roll < 0.5) return `${id},${csvField(`${brandWord(random)} ${pick(random, INDUSTRIES)}`)},,,lead,,`;
  if (roll < 0.65) return `${id},${csvField(pick(random, JUNK_NAMES))},,,${pick(random, POPULATIONS)},,`;
  if (roll < 0.8) return `${id},${csvField(pick(random, JUNK_NAMES))},not a url,,prospect,,`;
  return `${id},"${brandWord(random)}" ${pick(random, INDUSTRIES)},,,prospect,,`;
}

/**
 * Writes one side's export: its companies' rows in random order, about 5% of
 * companies twice (another rendering, another population) and 1% junk rows.
 */
async function writeSide(path: string, prefix: string, rows: number, entities: readonly Entity[], ids: Int32Array, random: Random): Promise<Side> {
  const truth = new Int32Array(rows).fill(-1);
  const domains: (string | undefined)[] = new Array<string | undefined>(rows);
  // Slots: each company once, duplicates and junk on top, shuffled.
  const slots = new Int32Array(rows);
  let n = 0;
  let next = 0;
  while (n < rows) {
    const roll = random();
    if (roll < 0.01) slots[n++] = -1;
    else if (roll < 0.06 && n > 0) {
      const earlier = slots[Math.floor(random() * n)]!;
      slots[n++] = earlier;
    } else slots[n++] = ids[next++ % ids.length]!;
  }
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = slots[i]!;
    slots[i] = slots[j]!;
    slots[j] = t;
  }
  const out = createWriteStream(path);
  let buffer = `${CSV_HEADER}\n`;
  for (let row = 0; row < rows; row++) {
    const id = `${prefix}${row}`;
    const entityId = slots[row]!;
    if (entityId < 0) {
      buffer += `${junkRow(random, id)}\n`;
    } else {
      const r = renderRow(random, entities[entityId]!);
      truth[row] = entityId;
      domains[row] = r.domain;
      const owner = pick(random, OWNERS);
      buffer += `${id},${csvField(r.name)},${csvField(r.website)},${csvField(r.email)},${populationOf(random)},${r.country},${csvField(owner)}\n`;
    }
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return { prefix, rows, truth, domains };
}

export interface Dataset {
  a: Side;
  b: Side;
  entities: number;
}

/**
 * Writes A's and B's exports to `pathA` and `pathB`. B's companies are drawn so
 * that a share `overlap` of them (default 0.4) are A's companies too.
 */
export async function generateDataset(pathA: string, pathB: string, options: GeneratorOptions): Promise<Dataset> {
  const random = rng(options.seed);
  const overlap = options.overlap ?? 0.4;
  const companiesA = Math.ceil(options.rowsA * 0.95);
  const companiesB = Math.ceil(options.rowsB * 0.95);
  const shared = Math.min(companiesA, Math.round(companiesB * overlap));
  const total = companiesA + companiesB - shared;
  const entities = makeEntities(total, random);
  // Entities are made in runs of related companies; shuffle ids before dealing them out.
  const order = Int32Array.from({ length: total }, (_, i) => i);
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const idsA = order.subarray(0, companiesA);
  const idsB = Int32Array.from([...order.subarray(0, shared), ...order.subarray(companiesA, companiesA + companiesB - shared)]);
  const a = await writeSide(pathA, 'A', options.rowsA, entities, idsA, random);
  const b = await writeSide(pathB, 'B', options.rowsB, entities, idsB, random);
  return { a, b, entities: total };
}

// ---------------------------------------------------------------------------
// Scoring against the truth

export interface Predicted {
  a: readonly string[];
  b: readonly string[];
  method: string;
}

export interface MethodQuality {
  pairs: number;
  correct: number;
  precision: number;
  /** Companies on both sides whose rows share a domain (domain) or do not (name), and how many of them a correct pair found. */
  expected: number;
  found: number;
  recall: number;
}

export interface Quality {
  /** Companies present on both sides (valid rows only). */
  common: number;
  overall: MethodQuality;
  byMethod: Record<string, MethodQuality>;
}

function rowOf(ref: string, side: Side): number {
  const n = Number(ref.slice(side.prefix.length));
  return ref.startsWith(side.prefix) && Number.isInteger(n) && n >= 0 && n < side.rows ? n : -1;
}

/**
 * Precision and recall of predicted pairs. A pair is correct when a company
 * has rows on both of its sides. A company both sides have is expected of the
 * domain method when a row on each side was rendered from the same domain,
 * of the name method otherwise; it is found when a correct pair holds it.
 * Junk rows are left out of the truth: pairing one is a wrong pair.
 */
export function scorePairs(dataset: Dataset, predicted: Iterable<Predicted>): Quality {
  const { a, b } = dataset;
  const domainsOfA = new Map<number, Set<string>>();
  for (let n = 0; n < a.rows; n++) {
    const entity = a.truth[n]!;
    if (entity < 0) continue;
    let set = domainsOfA.get(entity);
    if (!set) domainsOfA.set(entity, (set = new Set()));
    const domain = a.domains[n];
    if (domain !== undefined) set.add(domain);
  }
  const expectedMethod = new Map<number, string>();
  for (let n = 0; n < b.rows; n++) {
    const entity = b.truth[n]!;
    const ofA = domainsOfA.get(entity);
    if (entity < 0 || !ofA) continue;
    const domain = b.domains[n];
    if (domain !== undefined && ofA.has(domain)) expectedMethod.set(entity, 'domain');
    else if (!expectedMethod.has(entity)) expectedMethod.set(entity, 'name');
  }
  const blank = (): MethodQuality => ({ pairs: 0, correct: 0, precision: 1, expected: 0, found: 0, recall: 1 });
  const byMethod: Record<string, MethodQuality> = { domain: blank(), name: blank() };
  const overall = blank();
  const found = new Set<number>();
  for (const pair of predicted) {
    const method = (byMethod[pair.method] ??= blank());
    method.pairs++;
    overall.pairs++;
    const entitiesA = new Set(pair.a.map((ref) => a.truth[rowOf(ref, a)] ?? -1));
    const hit = pair.b.map((ref) => b.truth[rowOf(ref, b)] ?? -1).find((entity) => entity >= 0 && entitiesA.has(entity));
    if (hit !== undefined) {
      method.correct++;
      overall.correct++;
      found.add(hit);
    }
  }
  for (const [entity, method] of expectedMethod) {
    const quality = byMethod[method]!;
    quality.expected++;
    overall.expected++;
    if (found.has(entity)) {
      quality.found++;
      overall.found++;
    }
  }
  for (const quality of [overall, ...Object.values(byMethod)]) {
    quality.precision = quality.pairs === 0 ? 1 : quality.correct / quality.pairs;
    quality.recall = quality.expected === 0 ? 1 : quality.found / quality.expected;
  }
  return { common: expectedMethod.size, overall, byMethod };
}
