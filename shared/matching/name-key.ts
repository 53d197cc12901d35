/**
 * Company names as comparison keys. `nameKey('The Acme Company, Inc.')` and
 * `nameKey('ACME Co')` are both `acme`. The rules, in order (see
 * docs/normalisation.md):
 *
 * 1. Fold: compatibility decomposition (NFKD), Latin/Greek/Cyrillic accents
 *    dropped (ü → u, é → e; no German ue), letters without a decomposition
 *    spelled out (ß → ss, ł → l, ø → o, æ → ae), lower case, Cyrillic and
 *    Greek in Latin letters (Газпром → gazprom), NFC again, so other scripts
 *    keep their marks (Japanese, Korean, Devanagari stay as written).
 * 2. Bracketed text goes (`Acme (UK) Ltd`, `AB (publ)`, `(株)`), `&` and `+`
 *    are "and", apostrophes and dots join (`McDonald's` → mcdonalds, `S.p.A.`
 *    → spa, `C.I.A.` → cia), every other run of punctuation or space is one
 *    space (`Coca-Cola` → coca cola), and a run of single letters is one
 *    word (`A/S` → as, `I. B. M.` → ibm, `z o.o.` → zoo).
 * 3. A few spellings are made one: intl → international, centre → center, ...
 * 4. Legal forms and noise are removed as whole tokens only at the ends, and
 *    never the last remaining token: at the end any catalogued legal form
 *    (Inc, Corp, LLC, Ltd, PLC, GmbH & Co. KG, S.A., S.p.A., B.V., K.K.,
 *    Pty Ltd, Sp. z o.o., ...), a dangling "and"/"the", and Group/Holdings;
 *    at the start "The" and the forms written first in their countries
 *    (PT, Oy, AB, OOO, Kabushiki Kaisha, 株式会社, ...). A legal word inside
 *    a name stays: `Corp Solutions Ltd` → corp solutions.
 */

/** Legal forms as token sequences after folding (dots joined, punctuation as spaces). */
const LEGAL_FORMS = [
  // English-speaking
  'inc', 'incorporated', 'corp', 'corporation', 'co', 'company', 'cos', 'companies',
  'llc', 'llp', 'lp', 'lllp', 'pllc', 'ltd', 'limited', 'plc', 'pty', 'pty ltd', 'pvt', 'pvt ltd', 'private limited',
  'public limited company', 'limited liability company', 'limited partnership', 'limited liability partnership',
  'co ltd', 'co inc', 'and co', 'and company', 'l p', 'ulc', 'opc',
  // German-speaking
  'gmbh', 'ag', 'kg', 'kgaa', 'ohg', 'gbr', 'ug', 'ev', 'eg', 'mbh', 'se', 'gesmbh',
  'aktiengesellschaft', 'kommanditgesellschaft', 'gesellschaft mit beschrankter haftung', 'mit beschrankter haftung', 'mit beschr haftung',
  'gmbh and co kg', 'gmbh and co', 'ag and co kg', 'gmbh and co kgaa', 'ug haftungsbeschrankt',
  // French, Italian, Spanish, Portuguese
  'sa', 'sas', 'sasu', 'sarl', 'eurl', 'sci', 'snc', 'sca', 'scs', 'societe anonyme', 'sa rl', 'societe par actions simplifiee',
  'spa', 'srl', 'srls', 'sapa', 'societa per azioni', 'societa a responsabilita limitata',
  'sl', 'slu', 'sau', 'sociedad anonima', 'sociedad limitada', 'sa de cv', 'sab de cv', 'sapi de cv', 's de rl', 's de rl de cv', 'de cv',
  'ltda', 'eireli', 'sa ltda',
  // Benelux, Nordic, Baltic
  'bv', 'nv', 'bvba', 'vof', 'cv', 'cvba', 'ab', 'ab publ', 'oy', 'oyj', 'as', 'asa', 'aps', 'hf', 'ehf', 'ks', 'is', 'ou', 'uab',
  // Central and Eastern Europe
  'sp z oo', 'spolka z oo', 'sp zoo', 'spolka zoo', 'spolka z ograniczona odpowiedzialnoscia', 'spolka akcyjna', 'sp k', 'sp j', 'spk',
  'sro', 'spol s ro', 'spol sro', 'akc spol', 'vos', 'kft', 'zrt', 'nyrt', 'rt', 'dd', 'doo', 'ad', 'ead', 'ood',
  'ooo', 'oao', 'zao', 'pao', 'ao', 'ae', 'epe', 'ike',
  // Asia and elsewhere
  'kk', 'kabushiki kaisha', 'kabushikigaisha', 'kabushiki gaisha', 'yugen kaisha', 'godo kaisha', 'gk', 'yk',
  '株式会社', '有限会社', '合同会社', '有限公司', '股份有限公司', '有限责任公司', '有限責任公司', '주식회사', '유한회사',
  'pt', 'tbk', 'pt tbk', 'bhd', 'sdn bhd', 'berhad', 'sendirian berhad', 'pte', 'pte ltd', 'jsc', 'pjsc', 'ojsc', 'cjsc',
  'ltd sti', 'sti', 'wll', 'llc fz', 'fze', 'fzco', 'fz llc',
];

/** Legal forms that are also written before the name in their countries. */
const LEADING_FORMS = [
  'the', 'pt', 'oy', 'ab', 'kk', 'kabushiki kaisha', 'kabushikigaisha', 'yugen kaisha', 'godo kaisha',
  'ooo', 'oao', 'zao', 'pao', 'ao', 'too', 'ip', 'srl', 'sc',
  '株式会社', '有限会社', '合同会社', '주식회사', '유한회사',
];

/** Not legal forms, but no part of what tells two companies apart when at the end. */
const TRAILING_NOISE = ['and', 'the', 'group', 'holding', 'holdings', 'and affiliates', 'and its affiliates', 'and subsidiaries', 'and its subsidiaries'];

/** Legal forms written onto a CJK name without a space: トヨタ自動車株式会社, 腾讯科技有限公司. */
const ATTACHED_SUFFIXES = ['股份有限公司', '有限责任公司', '有限責任公司', '有限公司', '株式会社', '有限会社', '合同会社', '주식회사'];
const ATTACHED_PREFIXES = ['株式会社', '有限会社', '合同会社', '주식회사'];

const SPELLINGS: Readonly<Record<string, string>> = {
  intl: 'international',
  natl: 'national',
  mfg: 'manufacturing',
  bros: 'brothers',
  assn: 'association',
  assoc: 'association',
  svcs: 'services',
  svc: 'service',
  univ: 'university',
  inst: 'institute',
  centre: 'center',
  centres: 'centers',
};
const SPELLING = new Map(Object.entries(SPELLINGS));

const TRAILING = new Set([...LEGAL_FORMS, ...TRAILING_NOISE]);
const LEADING = new Set(LEADING_FORMS);
const LEGAL = new Set(LEGAL_FORMS);
/** Longest sequence, in tokens, of any entry. */
const LONGEST = Math.max(...[...TRAILING, ...LEADING].map((form) => form.split(' ').length));
/** Quick refusals: a name whose last (first) token ends (starts) no entry keeps its ends. */
const LAST_TOKENS = new Set([...TRAILING].map((form) => form.split(' ').at(-1) ?? ''));
const FIRST_TOKENS = new Set([...LEADING].map((form) => form.split(' ')[0] ?? ''));

/** Plain ASCII text, the fast path (other control characters take the Unicode path, which handles them too). */
const ASCII = /^[\t\n\r -~]*$/;
const COMBINING_ACCENTS = /[\u0300-\u036f]/g;
const UNDECOMPOSED = /[ßłøæœđðþıħŀŧĸŋə]/g;
const UNDECOMPOSED_AS: Readonly<Record<string, string>> = {
  ß: 'ss', ł: 'l', ø: 'o', æ: 'ae', œ: 'oe', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŀ: 'l', ŧ: 't', ĸ: 'k', ŋ: 'n', ə: 'a',
};
/**
 * Cyrillic and Greek are spelled in Latin letters, BGN/PCGN-like after the
 * accents are gone (й → и → i, ё → е → e), so `Газпром` and `Gazprom` meet;
 * other scripts (CJK, Arabic, Hebrew, Indic, Thai, ...) stay as written.
 */
const TRANSLITERATED = /[\u0370-\u03ff\u0400-\u04ff]/g;
const TRANSLITERATION: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ж: 'zh', з: 'z', и: 'i', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p',
  р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e',
  ю: 'yu', я: 'ya', і: 'i', ї: 'yi', є: 'ye', ґ: 'g', ў: 'u', ј: 'j', љ: 'lj', њ: 'nj', џ: 'dz', ђ: 'dj', ћ: 'c', ѓ: 'g', ќ: 'k', ѕ: 'dz',
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l', μ: 'm', ν: 'n', ξ: 'x', ο: 'o',
  π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f', χ: 'ch', ψ: 'ps', ω: 'o',
};
const SIGNS = /[™®©℠]/g;
const BRACKETED = /\([^()]*\)|\[[^[\]]*\]|\{[^{}]*\}/g;
const AMPERSAND = /[&+]/g;
const LEADING_AMPERSAND = /^[^\p{L}\p{N}]*[&+]/u;
const JOINERS = /['’‘ʼ`´.]/g;
const SEPARATORS = /[^\p{L}\p{N}\p{M}]+/u;
const HAS_WORD = /[\p{L}\p{N}]/u;

function fold(raw: string): string {
  return raw
    .replace(SIGNS, ' ')
    .normalize('NFKD')
    .replace(COMBINING_ACCENTS, '')
    .toLowerCase()
    .replace(UNDECOMPOSED, (letter) => UNDECOMPOSED_AS[letter] ?? letter)
    .replace(TRANSLITERATED, (letter) => TRANSLITERATION[letter] ?? letter)
    .normalize('NFC');
}

/** Tokens of a folded ASCII name in one pass: the common case, without regular expressions. */
function asciiTokens(lower: string, dropBrackets: boolean): string[] {
  const tokens: string[] = [];
  let word = '';
  let from = -1;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (from < 0) from = i;
      continue;
    }
    if (from >= 0) {
      word += lower.slice(from, i);
      from = -1;
    }
    if (c === 39 || c === 46 || c === 96) continue; // ' . ` join: McDonald's, S.p.A.
    if (word) {
      tokens.push(SPELLING.get(word) ?? word);
      word = '';
    }
    if (c === 38 || c === 43) {
      if (tokens.length > 0) tokens.push('and'); // a leading & joins nothing
    }
    else if (dropBrackets && (c === 40 || c === 91 || c === 123)) {
      const close = lower.indexOf(c === 40 ? ')' : c === 91 ? ']' : '}', i + 1);
      if (close > i) i = close;
    }
  }
  if (tokens.length === 0 && dropBrackets) return asciiTokens(lower, false);
  return mergeLetters(tokens);
}

/** Runs of single letters are one token: `I. B. M.` and `IBM`, `s. a r. l.` and `sarl`, `z o.o.` and `zoo`. */
function mergeLetters(tokens: string[]): string[] {
  let merged: string[] | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const previous = tokens[i - 1];
    if (token.length === 1 && previous?.length === 1) {
      merged ??= tokens.slice(0, i - 1).concat(previous);
      merged[merged.length - 1] += token;
    } else if (merged) merged.push(token);
  }
  return merged ?? tokens;
}

function tokensOf(folded: string): string[] {
  if (ASCII.test(folded)) return asciiTokens(folded, true);
  let text = folded;
  if (text.includes('(') || text.includes('[') || text.includes('{')) {
    const unbracketed = text.replace(BRACKETED, ' ');
    if (HAS_WORD.test(unbracketed)) text = unbracketed;
  }
  const tokens: string[] = [];
  for (const part of text.replace(LEADING_AMPERSAND, '').replace(AMPERSAND, ' and ').replace(JOINERS, '').split(SEPARATORS)) {
    if (part) tokens.push(SPELLING.get(part) ?? part);
  }
  return mergeLetters(tokens);
}

/** How many tokens at the end form one entry of the set, the longest such; 0 when none. */
function trailingForm(tokens: readonly string[], set: ReadonlySet<string>): number {
  const n = tokens.length;
  if (n < 2 || !LAST_TOKENS.has(tokens[n - 1] ?? '')) return 0;
  let best = 0;
  let tail = tokens[n - 1] ?? '';
  for (let k = 1; k <= Math.min(LONGEST, n - 1); k++) {
    if (k > 1) tail = `${tokens[n - k] ?? ''} ${tail}`;
    if (set.has(tail)) best = k;
  }
  return best;
}

/** How many tokens at the start form one entry of the set, the longest such; 0 when none. */
function leadingForm(tokens: readonly string[], set: ReadonlySet<string>): number {
  const n = tokens.length;
  const first = tokens[0] ?? '';
  if (n < 2 || !FIRST_TOKENS.has(first)) return 0;
  let best = 0;
  let head = first;
  for (let k = 1; k <= Math.min(LONGEST, n - 1); k++) {
    if (k > 1) head = `${head} ${tokens[k - 1] ?? ''}`;
    if (set.has(head)) best = k;
  }
  return best;
}

function stripAttached(tokens: string[]): void {
  const last = tokens.length - 1;
  for (const suffix of ATTACHED_SUFFIXES) {
    const token = tokens[last] ?? '';
    if (token.length > suffix.length && token.endsWith(suffix)) tokens[last] = token.slice(0, -suffix.length);
  }
  for (const prefix of ATTACHED_PREFIXES) {
    const token = tokens[0] ?? '';
    if (token.length > prefix.length && token.startsWith(prefix)) tokens[0] = token.slice(prefix.length);
  }
}

/**
 * Comparison key of a company name: folded, legal forms and noise removed,
 * tokens joined by single spaces; '' when nothing remains.
 */
export function nameKey(raw: string | null | undefined): string {
  if (!raw) return '';
  const ascii = ASCII.test(raw);
  let tokens = ascii ? asciiTokens(raw.toLowerCase(), true) : tokensOf(fold(raw));
  if (tokens.length === 0) return '';
  for (let before = ''; ; ) {
    for (let k = leadingForm(tokens, LEADING); k > 0; k = leadingForm(tokens, LEADING)) tokens = tokens.slice(k);
    for (let k = trailingForm(tokens, TRAILING); k > 0; k = trailingForm(tokens, TRAILING)) tokens = tokens.slice(0, tokens.length - k);
    if (ascii) break;
    // Forms written onto the name (`株式会社Acme`, `Acme株式会社株式会社`) come off until none is left; what they
    // uncover is stripped again, and single letters they leave are joined, as when written apart (`株式会社 A B`).
    const now = tokens.join(' ');
    if (now === before) break;
    before = now;
    stripAttached(tokens);
    tokens = mergeLetters(tokens);
  }
  return tokens.length === 1 ? (tokens[0] ?? '') : tokens.join(' ');
}

/** True when the text, folded as nameKey folds it, is one catalogued legal form (`GmbH`, `S.p.A.`, `Pty Ltd`). */
export function isLegalForm(text: string): boolean {
  return LEGAL.has(tokensOf(fold(text)).join(' '));
}
