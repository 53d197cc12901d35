import { isAscii, isUtf8 } from 'node:buffer';
import { ValidationError } from '../errors.ts';

/**
 * A streaming CSV reader for contributions: RFC 4180 plus what CRM exports
 * and spreadsheets really write. It reads bytes as they come (an S3 object
 * stream, a file, a test's chunks), never the whole file, and hands each
 * record to a callback with the line it starts on.
 *
 * - UTF-8, with or without a BOM; invalid UTF-8 rejects the file, naming the line.
 * - The delimiter (`,` `;` or tab) is sniffed from the header line.
 * - Quoted fields may hold delimiters, `""` and line breaks; LF or CRLF line
 *   ends; the last line may lack one.
 * - A field larger than `maxFieldBytes`, or a record longer than
 *   `maxLineLength` characters, rejects that record only: its content is
 *   skipped, not kept, so memory stays bounded whatever the file holds.
 * - Binary files (NUL bytes, ZIP/Excel, PDF, UTF-16) are refused as not CSV.
 *
 * It is a hand-written state machine because it is the product's hot path:
 * docs/csv-reader.md has the measurements against the npm parsers. The fast
 * path reads a line without quotes with two native searches (`indexOf` of
 * the line end, `split` on the delimiter); only records with quotes, and the
 * one record a chunk ends in, go through the character loop.
 */

export const DELIMITERS = [',', ';', '\t'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

export interface CsvLimits {
  /** The file is refused past this many bytes. */
  maxBytes: number;
  /** A record with a larger field (in UTF-8 bytes) is rejected. */
  maxFieldBytes: number;
  /** A record longer than this many characters, line breaks in quoted fields included, is rejected. */
  maxLineLength: number;
}

export const DEFAULT_CSV_LIMITS: Readonly<CsvLimits> = {
  maxBytes: 512 * 1024 * 1024,
  maxFieldBytes: 64 * 1024,
  maxLineLength: 1024 * 1024,
};

export interface CsvHandlers {
  /** The header record, once, before any other record. May throw to stop the reading. */
  header(fields: string[], delimiter: Delimiter): void;
  /** A record, with the line (1-based, the header is line 1) it starts on. Blank lines are skipped. */
  record(fields: string[], line: number): void;
  /** A record the reader could not read whole; the reading goes on. */
  badRecord(line: number, reason: string): void;
}

export interface CsvSummary {
  bytes: number;
  delimiter: Delimiter;
  /** Physical lines in the file (a last line without its line break counts). */
  lines: number;
  /** The most characters of one record the reader held at once: bounded by the limits, whatever the file. */
  largestHeld: number;
}

export type CsvFileProblem = 'empty' | 'too_large' | 'not_csv' | 'invalid_utf8' | 'no_header';

/** The file as a whole cannot be read as CSV; `line` names where, when it is known. */
export class CsvFileError extends ValidationError {
  readonly problem: CsvFileProblem;
  readonly line: number | undefined;

  constructor(message: string, problem: CsvFileProblem, line?: number) {
    super(message, { code: `csv_${problem}` });
    this.problem = problem;
    this.line = line;
  }
}

// ---------------------------------------------------------------------------
// Bytes

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** Where the trailing, still incomplete UTF-8 sequence of `bytes` starts (its length when there is none). */
function incompleteTailStart(bytes: Uint8Array): number {
  const length = bytes.length;
  for (let back = 1; back <= 3 && back <= length; back++) {
    const byte = bytes[length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte < 0xc0) return length;
    const needs = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return back < needs ? length - back : length;
  }
  return length;
}

/** The offset of the first byte that does not start a valid UTF-8 sequence (strict: no overlongs, surrogates or code points past U+10FFFF). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const b0 = bytes[i] ?? 0;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let needs: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) [needs, min] = [1, 0x80];
    else if (b0 >= 0xe0 && b0 <= 0xef) [needs, min] = [2, 0x800];
    else if (b0 >= 0xf0 && b0 <= 0xf4) [needs, min] = [3, 0x10000];
    else return i;
    if (i + needs >= length) return i;
    let code = b0 & (0x3f >> needs);
    for (let k = 1; k <= needs; k++) {
      const b = bytes[i + k] ?? 0;
      if ((b & 0xc0) !== 0x80) return i;
      code = (code << 6) | (b & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += needs + 1;
  }
  return length;
}

function countLineFeeds(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === LF) count++;
  return count;
}

const MiB = 1024 * 1024;
function describeBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Signatures of the files people upload instead of a CSV export. */
const SIGNATURES: { bytes: number[]; what: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive, such as an Excel workbook (.xlsx)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel workbook (.xls) or another Office document' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive' },
  { bytes: [0xff, 0xfe], what: 'UTF-16 text (Excel’s “Unicode text”)' },
  { bytes: [0xfe, 0xff], what: 'UTF-16 text' },
];

function notCsv(what: string): CsvFileError {
  return new CsvFileError(`the file is ${what}, not CSV: export the list as CSV (UTF-8)`, 'not_csv');
}

// ---------------------------------------------------------------------------
// The state machine

// States of the character loop.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;
const AFTER_CLOSING_QUOTE = 4;
type State = typeof FIELD_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTE_IN_QUOTED | typeof AFTER_CLOSING_QUOTE;

/**
 * The synchronous core: `write` bytes in any pieces, then `end`. Handlers are
 * called as records complete; a CsvFileError is thrown when the file as a
 * whole is refused (after which the parser must not be used).
 */
export class CsvParser {
  readonly #handlers: CsvHandlers;
  readonly #limits: CsvLimits;

  #bytes = 0;
  #started = false;
  #carry: Uint8Array | undefined;

  /** Text before the header line is complete, when the delimiter is not known yet. */
  #head = '';
  #delimiter: Delimiter | undefined;
  #delimiterCode = 0;
  #headerDone = false;

  /** The physical line at the scan position. */
  #line = 1;
  #largestHeld = 0;

  // The record in progress across chunks (the slow path).
  #inRecord = false;
  #recordLine = 0;
  #fields: string[] = [];
  #field = '';
  /** Exact UTF-8 size of #field once it may exceed the limit, -1 while it surely does not. */
  #fieldBytes = -1;
  #recordChars = 0;
  #recordError: string | undefined;
  #state: State = FIELD_START;
  #endedWithLineFeed = false;

  constructor(handlers: CsvHandlers, limits: Partial<CsvLimits> = {}) {
    this.#handlers = handlers;
    this.#limits = {
      maxBytes: limits.maxBytes ?? DEFAULT_CSV_LIMITS.maxBytes,
      maxFieldBytes: limits.maxFieldBytes ?? DEFAULT_CSV_LIMITS.maxFieldBytes,
      maxLineLength: limits.maxLineLength ?? DEFAULT_CSV_LIMITS.maxLineLength,
    };
  }

  get delimiter(): Delimiter | undefined {
    return this.#delimiter;
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.#bytes;
  }

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#bytes += chunk.length;
    if (this.#bytes > this.#limits.maxBytes) {
      throw new CsvFileError(`the file is larger than the limit of ${describeBytes(this.#limits.maxBytes)}`, 'too_large');
    }
    let bytes = chunk;
    if (this.#carry) {
      const joined = new Uint8Array(this.#carry.length + chunk.length);
      joined.set(this.#carry);
      joined.set(chunk, this.#carry.length);
      bytes = joined;
      this.#carry = undefined;
    }
    if (!this.#started) {
      // Wait for enough bytes to recognise a signature or a BOM.
      if (bytes.length < 4 && this.#bytes < 4) {
        this.#carry = bytes.slice();
        return;
      }
      this.#started = true;
      for (const signature of SIGNATURES) {
        if (signature.bytes.every((byte, index) => bytes[index] === byte)) throw notCsv(signature.what);
      }
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    const end = incompleteTailStart(bytes);
    if (end < bytes.length) this.#carry = bytes.slice(end);
    this.#decodeAndConsume(bytes.subarray(0, end));
  }

  end(): CsvSummary {
    if (!this.#started && this.#carry) {
      // A file of fewer than 4 bytes.
      const bytes = this.#carry;
      this.#carry = undefined;
      this.#started = true;
      this.#decodeAndConsume(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes);
    }
    if (this.#carry) {
      const line = this.#lineAt(this.#carry, 0);
      throw new CsvFileError(`the file is not valid UTF-8 (line ${line}): it ends in the middle of a character`, 'invalid_utf8', line);
    }
    if (!this.#headerDone) {
      if (this.#delimiter === undefined) {
        if (this.#head.trim() === '') throw new CsvFileError('the file is empty', 'empty');
        this.#sniff(this.#head, true);
        const head = this.#head;
        this.#head = '';
        this.#consume(head);
      }
    }
    if (this.#inRecord) {
      if (this.#state === QUOTED) {
        this.#recordError ??= 'a quoted field is not closed before the end of the file';
      }
      this.#endRecord();
    }
    if (!this.#headerDone) throw new CsvFileError('the file is empty', 'empty');
    // A last line without its line break is still a line.
    const lines = this.#line - 1 + (this.#endedWithLineFeed ? 0 : 1);
    return { bytes: this.#bytes, delimiter: this.#delimiter ?? ',', lines, largestHeld: this.#largestHeld };
  }

  /** The line of byte `at` of `bytes`, the bytes that follow all the text read so far. */
  #lineAt(bytes: Uint8Array, at: number): number {
    let line = this.#line + countLineFeeds(bytes, at);
    for (let k = this.#head.indexOf('\n'); k !== -1; k = this.#head.indexOf('\n', k + 1)) line++;
    return line;
  }

  #decodeAndConsume(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const nul = buffer.indexOf(0);
    const ascii = nul === -1 && isAscii(buffer);
    if (!ascii && (nul !== -1 || !isUtf8(buffer))) {
      const invalid = firstInvalidUtf8(buffer);
      const at = nul !== -1 && nul <= invalid ? nul : invalid;
      const line = this.#lineAt(buffer, at);
      // The text before the bad byte is read first, so that a problem earlier in the
      // file is the one reported, wherever the stream's chunks happen to be cut.
      this.#decodeAndConsume(bytes.subarray(0, at));
      if (at === nul) {
        throw new CsvFileError(`the file contains a NUL byte on line ${line}: it is binary, not CSV text`, 'not_csv', line);
      }
      throw new CsvFileError(`the file is not valid UTF-8 (line ${line}): save or export it as CSV UTF-8`, 'invalid_utf8', line);
    }
    this.#endedWithLineFeed = buffer[buffer.length - 1] === LF;
    const text = buffer.toString(ascii ? 'latin1' : 'utf8');
    if (this.#delimiter === undefined) {
      this.#head += text;
      if (!this.#sniff(this.#head, false)) return;
      const head = this.#head;
      this.#head = '';
      this.#consume(head);
    } else {
      this.#consume(text);
    }
  }

  /**
   * Chooses the delimiter from the header line: the candidate found most
   * often outside quotes (`,` on a tie or when there is none: one column).
   * False while the header line is not complete.
   */
  #sniff(head: string, atEnd: boolean): boolean {
    // Blank lines before the header do not count.
    let start = 0;
    for (let lf = head.indexOf('\n'); lf !== -1 && head.slice(start, lf).trim() === ''; lf = head.indexOf('\n', start)) start = lf + 1;
    const counts = [0, 0, 0];
    let quoted = false;
    let complete = atEnd;
    const length = Math.min(head.length, start + this.#limits.maxLineLength + 1);
    for (let i = start; i < length; i++) {
      const c = head.charCodeAt(i);
      if (c === QUOTE) quoted = !quoted;
      else if (quoted) continue;
      else if (c === LF) {
        complete = true;
        break;
      } else if (c === 44) counts[0]!++;
      else if (c === 59) counts[1]!++;
      else if (c === 9) counts[2]!++;
    }
    if (!complete) {
      if (head.length - start > this.#limits.maxLineLength) {
        throw new CsvFileError(
          `the first line is longer than ${this.#limits.maxLineLength} characters: the file is not a CSV export with a header line`,
          'not_csv',
          1,
        );
      }
      return false;
    }
    const trimmed = head.trimStart();
    if (/^[[{<]/.test(trimmed)) {
      throw notCsv(trimmed.startsWith('<') ? 'HTML or XML' : 'JSON');
    }
    let best = 0;
    for (let k = 1; k < 3; k++) if (counts[k]! > counts[best]!) best = k;
    this.#delimiter = DELIMITERS[best]!;
    this.#delimiterCode = this.#delimiter.charCodeAt(0);
    return true;
  }

  #consume(text: string): void {
    const n = text.length;
    const delimiter = this.#delimiter!;
    const maxFieldBytes = this.#limits.maxFieldBytes;
    const maxLineLength = this.#limits.maxLineLength;
    let p = this.#inRecord ? this.#slow(text, 0) : 0;
    let quote = -1;
    while (p < n) {
      const lf = text.indexOf('\n', p);
      if (lf === -1) {
        p = this.#slow(text, p);
        break;
      }
      if (quote !== n && quote < p) {
        quote = text.indexOf('"', p);
        if (quote === -1) quote = n;
      }
      if (quote < lf) {
        p = this.#slow(text, p);
        continue;
      }
      // Fast path: a whole line without quotes.
      const line = this.#line++;
      const end = lf > p && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
      const start = p;
      p = lf + 1;
      if (end === start) continue;
      const length = end - start;
      if (length > maxLineLength) {
        this.#bad(line, `the line is longer than ${maxLineLength} characters`);
        continue;
      }
      const fields = text.slice(start, end).split(delimiter);
      if (length * 3 > maxFieldBytes && fields.some((field) => field.length > maxFieldBytes / 3 && Buffer.byteLength(field) > maxFieldBytes)) {
        this.#bad(line, `a field is larger than ${describeBytes(maxFieldBytes)}`);
        continue;
      }
      this.#emit(fields, line);
    }
  }

  /**
   * The character loop, for a record with quotes or cut by the end of the
   * chunk: reads from `p` to the end of the record (emitting it, returning
   * the position after its line break) or to the end of the text (keeping
   * the record in progress, returning the text's length).
   */
  #slow(text: string, p: number): number {
    if (!this.#inRecord) {
      this.#inRecord = true;
      this.#recordLine = this.#line;
      this.#fields = [];
      this.#field = '';
      this.#fieldBytes = -1;
      this.#recordChars = 0;
      this.#recordError = undefined;
      this.#state = FIELD_START;
    }
    const n = text.length;
    const delimiterCode = this.#delimiterCode;
    let i = p;
    while (i < n) {
      switch (this.#state) {
        case FIELD_START:
          if (text.charCodeAt(i) === QUOTE) {
            this.#state = QUOTED;
            this.#recordChars++;
            i++;
            break;
          }
          this.#state = UNQUOTED;
          break;
        case UNQUOTED: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = text.charCodeAt(j);
            if (c === delimiterCode || c === LF) break;
            j++;
          }
          this.#append(text, i, j);
          if (j === n) return n;
          if (c === delimiterCode) {
            this.#endField();
            this.#recordChars++;
            i = j + 1;
            break;
          }
          // The line feed ends the record; a CR before it is part of the line end.
          if (this.#field.endsWith('\r')) this.#field = this.#field.slice(0, -1);
          this.#line++;
          this.#endRecord();
          return j + 1;
        }
        case QUOTED: {
          const q = text.indexOf('"', i);
          const j = q === -1 ? n : q;
          for (let k = text.indexOf('\n', i); k !== -1 && k < j; k = text.indexOf('\n', k + 1)) this.#line++;
          this.#append(text, i, j);
          if (q === -1) return n;
          this.#recordChars++;
          this.#state = QUOTE_IN_QUOTED;
          i = q + 1;
          break;
        }
        case QUOTE_IN_QUOTED:
          if (text.charCodeAt(i) === QUOTE) {
            // An escaped quote: "" stands for ".
            this.#append(text, i, i + 1);
            this.#state = QUOTED;
            i++;
            break;
          }
          this.#state = AFTER_CLOSING_QUOTE;
          break;
        case AFTER_CLOSING_QUOTE: {
          const c = text.charCodeAt(i);
          if (c === delimiterCode) {
            this.#endField();
            this.#recordChars++;
            i++;
            break;
          }
          if (c === LF) {
            this.#line++;
            this.#endRecord();
            return i + 1;
          }
          if (c === CR) {
            i++;
            break;
          }
          // Text after a closing quote: the record is malformed; read on to find its end.
          this.#recordError ??= 'a quoted field has text after its closing quote';
          this.#state = UNQUOTED;
          break;
        }
      }
    }
    return n;
  }

  #append(text: string, from: number, to: number): void {
    if (to === from) return;
    this.#recordChars += to - from;
    if (this.#recordError !== undefined) return;
    // The field's size is checked before the piece is kept: characters first (never more than bytes), bytes when it matters.
    const maxFieldBytes = this.#limits.maxFieldBytes;
    const length = this.#field.length + (to - from);
    if (length > maxFieldBytes) {
      this.#reject(`a field is larger than ${describeBytes(maxFieldBytes)}`);
      return;
    }
    const piece = text.slice(from, to);
    if (length * 3 > maxFieldBytes) {
      this.#fieldBytes = (this.#fieldBytes >= 0 ? this.#fieldBytes : Buffer.byteLength(this.#field)) + Buffer.byteLength(piece);
      if (this.#fieldBytes > maxFieldBytes) {
        this.#reject(`a field is larger than ${describeBytes(maxFieldBytes)}`);
        return;
      }
    }
    if (this.#recordChars > this.#limits.maxLineLength) {
      this.#reject(`the line is longer than ${this.#limits.maxLineLength} characters`);
      return;
    }
    this.#field += piece;
    if (this.#recordChars > this.#largestHeld) this.#largestHeld = this.#recordChars;
  }

  /** The record is rejected: its content so far is dropped and the rest of it will be skipped. */
  #reject(reason: string): void {
    this.#recordError = reason;
    this.#fields = [];
    this.#field = '';
  }

  #endField(): void {
    if (this.#recordError === undefined) this.#fields.push(this.#field);
    this.#field = '';
    this.#fieldBytes = -1;
    this.#state = FIELD_START;
  }

  #endRecord(): void {
    this.#inRecord = false;
    const line = this.#recordLine;
    if (this.#recordError !== undefined) {
      const reason = this.#recordError;
      this.#recordError = undefined;
      this.#fields = [];
      this.#bad(line, reason);
      return;
    }
    const quotedStart = this.#state !== UNQUOTED && this.#state !== FIELD_START;
    this.#endField();
    const fields = this.#fields;
    this.#fields = [];
    // A blank line (CRLF or nothing at all) is skipped; `""` alone is a record of one empty field.
    if (fields.length === 1 && fields[0] === '' && !quotedStart) return;
    this.#emit(fields, line);
  }

  #emit(fields: string[], line: number): void {
    if (this.#headerDone) {
      this.#handlers.record(fields, line);
      return;
    }
    // Lines of blank cells before the header are skipped like blank lines.
    if (fields.every((field) => field.trim() === '')) return;
    this.#headerDone = true;
    this.#handlers.header(fields, this.#delimiter!);
  }

  #bad(line: number, reason: string): void {
    if (!this.#headerDone) throw new CsvFileError(`the header line cannot be read: ${reason}`, 'no_header', line);
    this.#handlers.badRecord(line, reason);
  }
}

/** The byte chunks of a Node stream or an async iterable; text chunks are refused (a stream with an encoding set). */
export async function* byteChunks(input: AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream): AsyncGenerator<Uint8Array> {
  for await (const chunk of input as AsyncIterable<Uint8Array | string>) {
    if (typeof chunk === 'string') throw new TypeError('the CSV input must yield bytes, not text: do not set an encoding on the stream');
    yield chunk;
  }
}

/**
 * Reads a CSV file from a stream of bytes, calling the handlers as records
 * complete; rejects with a CsvFileError when the file as a whole is refused.
 * Stops reading (and so destroys a Node stream) at the first such problem.
 */
export async function readCsv(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  handlers: CsvHandlers,
  limits: Partial<CsvLimits> = {},
): Promise<CsvSummary> {
  const parser = new CsvParser(handlers, limits);
  for await (const chunk of byteChunks(input)) parser.write(chunk);
  return parser.end();
}
