import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvFileError, CsvParser, type Delimiter } from '../../shared/contributions/csv-reader.ts';
import { runs } from './seed.ts';

/**
 * The CSV reader's public behaviour against hostile bytes: any bytes, in any
 * chunks, read to records or a CsvFileError and nothing else; the outcome
 * does not depend on where the chunks are cut; written fields (quotes,
 * delimiters, line breaks, blank lines, BOM) come back exactly, on the exact
 * line they start on. (The plain round trip is in test/unit/csv-reader.test.ts.)
 */

type Event = ['header', string[], Delimiter] | ['record', string[], number] | ['bad', number, string];

interface Outcome {
  events: Event[];
  summary?: { bytes: number; delimiter: Delimiter; lines: number };
  error?: { problem: string; line: number | undefined };
}

function read(chunks: readonly Uint8Array[]): Outcome {
  const events: Event[] = [];
  const parser = new CsvParser({
    header: (fields, delimiter) => events.push(['header', fields, delimiter]),
    record: (fields, line) => events.push(['record', fields, line]),
    badRecord: (line, reason) => events.push(['bad', line, reason]),
  });
  try {
    for (const chunk of chunks) parser.write(chunk);
    const { bytes, delimiter, lines } = parser.end();
    return { events, summary: { bytes, delimiter, lines } };
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    return { events, error: { problem: error.problem, line: error.line } };
  }
}

/** `bytes` cut at the given sizes, cycling. */
function cut(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const size = sizes[k % sizes.length] ?? 1;
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const sizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 });

/** Text that looks like CSV often enough to reach deep states: structure, quotes, line breaks, multi-byte UTF-8. */
const csvLikeText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(',', ',', ';', '\t', '"', '""', '\n', '\n', '\n', '\r', '\r\n', ' ', 'a', 'a', 'Name', 'é', '漢', '😀', '\u2028', '\ufeff') },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
    ),
    { maxLength: 120 },
  )
  .map((parts) => parts.join(''));

/** Byte sequences that break UTF-8 or mark binary files. */
const brokenBytes = fc.array(fc.constantFrom([0xc3], [0x80], [0xef, 0xbb, 0xbf], [0xed, 0xa0, 0x80], [0xf4, 0x90], [0x00], [0xff]), { minLength: 1, maxLength: 3 });

const hostileBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  csvLikeText.map((text) => new Uint8Array(Buffer.from(text, 'utf8'))),
  fc.tuple(csvLikeText, brokenBytes, fc.nat()).map(([text, broken, at]) => {
    const bytes = Buffer.from(text, 'utf8');
    const position = bytes.length === 0 ? 0 : at % bytes.length;
    return new Uint8Array(Buffer.concat([bytes.subarray(0, position), Buffer.from(broken.flat()), bytes.subarray(position)]));
  }),
);

describe('CSV reader under hostile bytes (property)', () => {
  it('reads any bytes to records or a CsvFileError, never another exception, with lines in order', () => {
    let withRecords = 0;
    fc.assert(
      fc.property(hostileBytes, sizes, (bytes, chunkSizes) => {
        const outcome = read(cut(bytes, chunkSizes));
        if (outcome.events.some((event) => event[0] !== 'header')) withRecords += 1;
        let previous = 1;
        for (const event of outcome.events) {
          if (event[0] === 'header') continue;
          const line = event[0] === 'record' ? event[2] : event[1];
          expect(Number.isInteger(line) && line >= previous).toBe(true);
          previous = line;
        }
        if (outcome.summary) {
          expect(outcome.summary.bytes).toBe(bytes.length);
          expect(previous).toBeLessThanOrEqual(Math.max(1, outcome.summary.lines));
        }
      }),
      runs(3000),
    );
    // Not vacuous: much of the input gets past the header into records.
    expect(withRecords).toBeGreaterThan(200);
  });

  it('reports the first problem in the file, however the stream is cut (found by the property below)', () => {
    // A header that cannot be read on line 1, then a byte that is not UTF-8 on line 2.
    const bytes = new Uint8Array([0x22, 0x22, 0x20, 0x0d, 0x0a, 0xc3, 0x00]);
    const whole = read([bytes]);
    expect(whole.error).toEqual({ problem: 'no_header', line: 1 });
    expect(read(cut(bytes, [1]))).toEqual(whole);
  });

  it('does not depend on where the chunks are cut', () => {
    fc.assert(
      fc.property(hostileBytes, sizes, (bytes, chunkSizes) => {
        expect(read(cut(bytes, chunkSizes))).toEqual(read([bytes]));
      }),
      runs(2000),
    );
  });
});

// ---------------------------------------------------------------------------
// Written tables come back exactly, on their lines

interface Written {
  text: string;
  header: string[];
  rows: string[][];
  /** The line each row starts on (the header is on the line after any leading blank lines). */
  lines: number[];
}

const character = fc.oneof(
  fc.constantFrom(',', ';', '\t', '"', '\n', '\r', '\r\n', ' ', 'a', 'Z', '0', 'é', '漢', '😀', '\u2028', '\ufeff'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }).filter((text) => !text.includes('\0')),
);
const field = fc.string({ unit: character, maxLength: 10 });

const table = fc.record({
  delimiter: fc.constantFrom<Delimiter>(',', ';', '\t'),
  width: fc.integer({ min: 2, max: 5 }),
  bom: fc.boolean(),
  lastLineEnd: fc.boolean(),
  quoteAll: fc.boolean(),
  leadingBlankLines: fc.integer({ min: 0, max: 2 }),
}).chain((shape) =>
  fc.record({
    shape: fc.constant(shape),
    rows: fc.array(
      fc.record({
        fields: fc.array(field, { minLength: shape.width, maxLength: shape.width }),
        lineEnd: fc.constantFrom('\n', '\r\n'),
        blankLinesAfter: fc.integer({ min: 0, max: 2 }),
      }),
      { maxLength: 10 },
    ),
  }),
);

type Table = typeof table extends fc.Arbitrary<infer T> ? T : never;

function write({ shape, rows }: Table): Written {
  const { delimiter } = shape;
  const cell = (value: string) =>
    shape.quoteAll || value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  const header = Array.from({ length: shape.width }, (_, index) => `column${index}`);
  let text = '\n'.repeat(shape.leadingBlankLines) + header.join(delimiter) + '\n';
  let line = shape.leadingBlankLines + 2;
  const lines: number[] = [];
  rows.forEach((row, index) => {
    lines.push(line);
    const record = row.fields.map(cell).join(delimiter);
    const last = index === rows.length - 1;
    const ending = last && !shape.lastLineEnd ? '' : row.lineEnd + (last ? '' : row.lineEnd.repeat(row.blankLinesAfter));
    text += record + ending;
    line += (record + ending).split('\n').length - 1;
  });
  return { text: (shape.bom ? '\ufeff' : '') + text, header, rows: rows.map((row) => row.fields), lines };
}

describe('CSV reader round trip with quotes, blank lines and BOM (property)', () => {
  it('gives back every field exactly, each record on the line it starts on', () => {
    fc.assert(
      fc.property(table, sizes, (generated, chunkSizes) => {
        const written = write(generated);
        const outcome = read(cut(new Uint8Array(Buffer.from(written.text, 'utf8')), chunkSizes));
        expect(outcome.error).toBeUndefined();
        expect(outcome.events[0]).toEqual(['header', written.header, generated.shape.delimiter]);
        const records = outcome.events.slice(1);
        expect(records).toEqual(written.rows.map((fields, index) => ['record', fields, written.lines[index]]));
        const physicalLines = written.text.split('\n').length - (written.text.endsWith('\n') ? 1 : 0);
        expect(outcome.summary?.lines).toBe(physicalLines);
      }),
      runs(1500),
    );
  });
});
