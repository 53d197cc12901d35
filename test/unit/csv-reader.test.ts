import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvFileError, type CsvLimits, CsvParser, type Delimiter, firstInvalidUtf8, readCsv } from '../../shared/contributions/csv-reader.ts';

interface Read {
  header: string[];
  delimiter: Delimiter;
  records: [line: number, fields: string[]][];
  bad: [line: number, reason: string][];
  lines: number;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** An async iterable of the items, as a stream gives them. */
async function* streamOf<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

/** Reads chunks synchronously through the parser. */
function readChunks(chunks: Iterable<Uint8Array>, limits: Partial<CsvLimits> = {}): Read {
  const read: Read = { header: [], delimiter: ',', records: [], bad: [], lines: 0 };
  const parser = new CsvParser(
    {
      header: (fields, delimiter) => {
        read.header = fields;
        read.delimiter = delimiter;
      },
      record: (fields, line) => read.records.push([line, fields]),
      badRecord: (line, reason) => read.bad.push([line, reason]),
    },
    limits,
  );
  for (const chunk of chunks) parser.write(chunk);
  const summary = parser.end();
  read.lines = summary.lines;
  return read;
}

const read = (input: string | Uint8Array, limits: Partial<CsvLimits> = {}) => readChunks([typeof input === 'string' ? utf8(input) : input], limits);

function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const cuts = [0, ...offsets, bytes.length];
  return cuts.slice(1).map((end, index) => bytes.subarray(cuts[index], end));
}

function fileError(run: () => unknown): CsvFileError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CsvFileError);
    return error as CsvFileError;
  }
  throw new Error('expected the file to be refused');
}

describe('delimiters, quotes and line ends', () => {
  it.each([
    [',', 'Account Name,Website,Type\nAcme,acme.com,Customer\n'],
    [';', 'Account Name;Website;Type\nAcme;acme.com;Customer\n'],
    ['\t', 'Account Name\tWebsite\tType\nAcme\tacme.com\tCustomer\n'],
  ])('sniffs %j from the header line', (delimiter, text) => {
    const result = read(text);
    expect(result.delimiter).toBe(delimiter);
    expect(result.header).toEqual(['Account Name', 'Website', 'Type']);
    expect(result.records).toEqual([[2, ['Acme', 'acme.com', 'Customer']]]);
  });

  it('counts delimiters outside quotes only', () => {
    const result = read('"Name, legal; full";Website\n"Acme, Inc.";acme.com\n');
    expect(result.delimiter).toBe(';');
    expect(result.header).toEqual(['Name, legal; full', 'Website']);
    expect(result.records).toEqual([[2, ['Acme, Inc.', 'acme.com']]]);
  });

  it('reads a one-column file with "," as its delimiter', () => {
    expect(read('Domain\nacme.com\nglobex.com').records).toEqual([
      [2, ['acme.com']],
      [3, ['globex.com']],
    ]);
  });

  it('strips a UTF-8 BOM', () => {
    const result = read(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('Account Name,Website\nAcmé,acme.com\n')]));
    expect(result.header).toEqual(['Account Name', 'Website']);
    expect(result.records).toEqual([[2, ['Acmé', 'acme.com']]]);
  });

  it('reads quoted fields with delimiters, escaped quotes and line breaks, numbering lines as the file does', () => {
    const text = 'Name,Note,Website\n"Acme, Inc.","says ""hi""; twice",acme.com\n"Globex\nCorp","line one\r\nline two",globex.com\nInitech,,initech.com\n';
    expect(read(text).records).toEqual([
      [2, ['Acme, Inc.', 'says "hi"; twice', 'acme.com']],
      [3, ['Globex\nCorp', 'line one\r\nline two', 'globex.com']],
      [6, ['Initech', '', 'initech.com']],
    ]);
  });

  it('reads LF, CRLF and a missing final line break alike', () => {
    const lf = read('Name,Website\nAcme,acme.com\n"Globex",globex.com\n');
    expect(read('Name,Website\r\nAcme,acme.com\r\n"Globex",globex.com\r\n')).toEqual(lf);
    expect(read('Name,Website\nAcme,acme.com\n"Globex",globex.com')).toEqual(lf);
    expect(read('Name,Website\r\nAcme,acme.com\r\n"Globex",globex.com')).toEqual(lf);
    expect(lf.lines).toBe(3);
  });

  it('skips blank lines, before the header too, and keeps counting them', () => {
    const result = read('\n \r\n;;\nName;Website\nAcme;acme.com\n');
    expect(result.delimiter).toBe(';');
    expect(result.header).toEqual(['Name', 'Website']);
    expect(result.records).toEqual([[5, ['Acme', 'acme.com']]]);

  });

  it('skips blank lines between records', () => {
    expect(read('Name,Website\n\nAcme,acme.com\r\n\r\n\nGlobex,globex.com\n\n').records).toEqual([
      [3, ['Acme', 'acme.com']],
      [6, ['Globex', 'globex.com']],
    ]);
  });

  it('keeps a lone `""` as a record of one empty field, and a stray quote inside an unquoted field as text', () => {
    expect(read('Name\n""\n').records).toEqual([[2, ['']]]);
    expect(read('Name,Size\nAcme 5" screens,12"\n').records).toEqual([[2, ['Acme 5" screens', '12"']]]);
  });

  it('rejects a record with text after a closing quote, and reads on', () => {
    const result = read('Name,Website\n"Acme" Inc,acme.com\nGlobex,globex.com\n');
    expect(result.bad).toEqual([[2, 'a quoted field has text after its closing quote']]);
    expect(result.records).toEqual([[3, ['Globex', 'globex.com']]]);
  });

  it('rejects a quoted field left open at the end of the file, on the line it starts', () => {
    const result = read('Name,Website\nAcme,acme.com\n"Globex,globex.com\nInitech,initech.com\n');
    expect(result.records).toEqual([[2, ['Acme', 'acme.com']]]);
    expect(result.bad).toEqual([[3, 'a quoted field is not closed before the end of the file']]);
  });
});

describe('chunk boundaries', () => {
  const text =
    '\uFEFFAccount Name;Website;Note\r\n"Société Générale; SA";societegenerale.fr;"dit ""bonjour""\r\n😀"\r\n漢字株式会社;kanji.jp;\r\n\r\nÆble;æble.dk;x"y\r\n"last";"";end';
  const bytes = utf8(text);
  const whole = read(bytes);

  it('reads the reference file as expected', () => {
    expect(whole.header).toEqual(['Account Name', 'Website', 'Note']);
    expect(whole.records).toEqual([
      [2, ['Société Générale; SA', 'societegenerale.fr', 'dit "bonjour"\r\n😀']],
      [4, ['漢字株式会社', 'kanji.jp', '']],
      [6, ['Æble', 'æble.dk', 'x"y']],
      [7, ['last', '', 'end']],
    ]);
  });

  it('reads the same records whichever byte the file is split at', () => {
    for (let offset = 1; offset < bytes.length; offset++) {
      expect(readChunks(splitAt(bytes, [offset])), `split at ${offset}`).toEqual(whole);
    }
  });

  it('reads the same records one byte at a time', () => {
    expect(readChunks(splitAt(bytes, Array.from({ length: bytes.length - 1 }, (_, index) => index + 1)))).toEqual(whole);
  });
});

describe('limits: a record too large is rejected, not the file', () => {
  it('rejects a field larger than maxFieldBytes, counting UTF-8 bytes', () => {
    const result = read(`Name,Website\n${'é'.repeat(600)},big.com\n"${'x'.repeat(1025)}",quoted.com\nAcme,acme.com\n`, { maxFieldBytes: 1024 });
    expect(result.bad).toEqual([
      [2, 'a field is larger than 1 KiB'],
      [3, 'a field is larger than 1 KiB'],
    ]);
    expect(result.records).toEqual([[4, ['Acme', 'acme.com']]]);
  });

  it('rejects a line longer than maxLineLength', () => {
    const long = Array.from({ length: 300 }, () => 'abcd').join(',');
    const result = read(`Name\n${long}\n"${long}\n${long}"\nAcme\n`, { maxLineLength: 1000 });
    expect(result.bad).toEqual([
      [2, 'the line is longer than 1000 characters'],
      [3, 'the line is longer than 1000 characters'],
    ]);
    expect(result.records).toEqual([[5, ['Acme']]]);
  });

  it('skips a 10 MB field without holding it, and reads on with the right line numbers', async () => {
    // Quoted, the field holds 160 line breaks; unquoted, it is one line of 10 MiB.
    const piece = (quoted: boolean) => utf8('x'.repeat(64 * 1024 - 1) + (quoted ? '\n' : 'x'));
    function* file(quoted: boolean) {
      yield utf8(`Name,Website\nAcme,acme.com\n${quoted ? '"' : ''}`);
      for (let i = 0; i < 160; i++) yield piece(quoted);
      yield utf8(`${quoted ? '"' : ''},big.com\nGlobex,globex.com\n`);
    }
    for (const quoted of [true, false]) {
      const records: [number, string[]][] = [];
      const bad: [number, string][] = [];
      const summary = await readCsv(streamOf(file(quoted)), {
        header: () => undefined,
        record: (fields, line) => records.push([line, fields]),
        badRecord: (line, reason) => bad.push([line, reason]),
      });
      // The field up to the limit, and its opening quote: not the 10 MiB.
      expect(summary.largestHeld).toBeLessThanOrEqual(64 * 1024 + 1);
      expect(bad).toEqual([[3, 'a field is larger than 64 KiB']]);
      expect(records).toEqual([
        [2, ['Acme', 'acme.com']],
        [quoted ? 164 : 4, ['Globex', 'globex.com']],
      ]);
    }
  });
});

describe('files refused as a whole', () => {
  it.each([
    ['no bytes', new Uint8Array(0)],
    ['a BOM only', new Uint8Array([0xef, 0xbb, 0xbf])],
    ['blank lines only', utf8('\r\n\n  \n')],
  ])('refuses an empty file: %s', (_, bytes) => {
    const error = fileError(() => read(bytes));
    expect(error.message).toBe('the file is empty');
    expect(error.problem).toBe('empty');
  });

  it.each([
    ['an .xlsx workbook', [0x50, 0x4b, 0x03, 0x04, 0x14, 0x00], 'the file is a ZIP archive, such as an Excel workbook (.xlsx), not CSV: export the list as CSV (UTF-8)'],
    ['an .xls workbook', [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1], 'the file is an old Excel workbook (.xls) or another Office document, not CSV: export the list as CSV (UTF-8)'],
    ['a PDF', [...utf8('%PDF-1.7\n')], 'the file is a PDF document, not CSV: export the list as CSV (UTF-8)'],
    ['UTF-16 text', [0xff, 0xfe, 0x4e, 0x00, 0x61, 0x00], 'the file is UTF-16 text (Excel’s “Unicode text”), not CSV: export the list as CSV (UTF-8)'],
    ['JSON', [...utf8('[{"name": "Acme"},\n{"name": "Globex"}]\n')], 'the file is JSON, not CSV: export the list as CSV (UTF-8)'],
    ['HTML', [...utf8('<!DOCTYPE html>\n<html></html>\n')], 'the file is HTML or XML, not CSV: export the list as CSV (UTF-8)'],
  ])('refuses %s as not CSV', (_, bytes, message) => {
    const error = fileError(() => read(new Uint8Array(bytes)));
    expect(error.problem).toBe('not_csv');
    expect(error.message).toBe(message);
  });

  it('refuses a binary file by its NUL byte, naming the line', () => {
    const error = fileError(() => read(new Uint8Array([...utf8('Name,Website\nAcme,acme.com\n'), 0x41, 0x00, 0x42])));
    expect(error.message).toBe('the file contains a NUL byte on line 3: it is binary, not CSV text');
    expect(error.line).toBe(3);
  });

  it('refuses a header line longer than the line limit', () => {
    expect(fileError(() => read(`Name${',x'.repeat(600)}`, { maxLineLength: 1000 })).message).toBe(
      'the first line is longer than 1000 characters: the file is not a CSV export with a header line',
    );
  });

  it('refuses invalid UTF-8 with its line, whichever chunk it is in', () => {
    // Latin-1 "Société" as Excel's "CSV" (not "CSV UTF-8") writes it.
    const bytes = new Uint8Array([...utf8('Name,Website\nAcme,acme.com\n"Multi\nline",x.com\nSoci'), 0xe9, ...utf8('t\u00e9,societe.fr\n')]);
    for (let offset = 1; offset < bytes.length; offset++) {
      const error = fileError(() => readChunks(splitAt(bytes, [offset])));
      expect(error.message, `split at ${offset}`).toBe('the file is not valid UTF-8 (line 5): save or export it as CSV UTF-8');
      expect(error.problem).toBe('invalid_utf8');
      expect(error.line).toBe(5);
    }
  });

  it('refuses a file that ends inside a multi-byte character', () => {
    const bytes = new Uint8Array([...utf8('Name\nAcme\n'), 0xe6, 0xbc]);
    expect(fileError(() => read(bytes)).message).toBe('the file is not valid UTF-8 (line 3): it ends in the middle of a character');
  });

  it('refuses a file larger than maxBytes as it reads, not after', async () => {
    let yielded = 0;
    function* endless() {
      yield utf8('Name\n');
      for (;;) {
        yielded++;
        yield utf8('Acme\n'.repeat(1000));
      }
    }
    await expect(readCsv(streamOf(endless()), { header: () => undefined, record: () => undefined, badRecord: () => undefined }, { maxBytes: 1_000_000 })).rejects.toThrow(
      'the file is larger than the limit of 1000000 bytes',
    );
    expect(yielded).toBe(200);
  });

  it('names the limit in MiB when it is a whole number of them', () => {
    expect(fileError(() => read('Name\nAcme\n', { maxBytes: 4 })).message).toBe('the file is larger than the limit of 4 bytes');
    const parser = new CsvParser({ header: () => undefined, record: () => undefined, badRecord: () => undefined }, { maxBytes: 1024 * 1024 });
    expect(() => parser.write(new Uint8Array(1024 * 1024 + 1))).toThrow('the file is larger than the limit of 1 MiB');
  });
});

describe('UTF-8 validation', () => {
  it.each([
    ['valid text', utf8('aé漢😀'), 10],
    ['a lone continuation byte', new Uint8Array([0x61, 0x80]), 1],
    ['an overlong encoding', new Uint8Array([0x61, 0xc0, 0xaf]), 1],
    ['an encoded surrogate', new Uint8Array([0xed, 0xa0, 0x80]), 0],
    ['a code point past U+10FFFF', new Uint8Array([0xf4, 0x90, 0x80, 0x80]), 0],
    ['a truncated sequence', new Uint8Array([0x61, 0x62, 0xe6, 0xbc]), 2],
  ])('finds the first invalid byte: %s', (_, bytes, offset) => {
    expect(firstInvalidUtf8(bytes)).toBe(offset);
  });
});

describe('inputs', () => {
  it('reads a Node stream of Buffers', async () => {
    const records: string[][] = [];
    await readCsv(Readable.from([Buffer.from('Name,Web'), Buffer.from('site\nAcme,acme.com\n')]), {
      header: () => undefined,
      record: (fields) => records.push(fields),
      badRecord: () => undefined,
    });
    expect(records).toEqual([['Acme', 'acme.com']]);
  });

  it('refuses a stream of text', async () => {
    const stream = Readable.from(['Name\nAcme\n'], { objectMode: true });
    await expect(readCsv(stream, { header: () => undefined, record: () => undefined, badRecord: () => undefined })).rejects.toThrow(
      'the CSV input must yield bytes, not text: do not set an encoding on the stream',
    );
  });
});

// ---------------------------------------------------------------------------
// Round trip

/** RFC 4180 writing: a field is quoted when it holds the delimiter, a quote or a line break. */
function writeCsv(rows: readonly string[][], delimiter: Delimiter, lineEnd: string): string {
  const cell = (value: string) => (value.includes(delimiter) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return rows.map((row) => row.map(cell).join(delimiter)).join(lineEnd) + lineEnd;
}

describe('round trip (property)', () => {
  const character = fc.oneof(
    fc.constantFrom(',', ';', '\t', '"', '\n', '\r', '\r\n', ' ', 'a', 'Z', 'é', '漢', '😀'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }).filter((text) => !text.includes('\0')),
  );
  const field = fc.string({ unit: character, maxLength: 12 });

  const table = fc.integer({ min: 2, max: 5 }).chain((width) =>
    fc.record({
      header: fc.constant(Array.from({ length: width }, (_, index) => `column ${index}`)),
      rows: fc.array(fc.array(field, { minLength: width, maxLength: width }), { maxLength: 8 }),
    }),
  );

  it('reads back what a proper writer wrote, in any chunks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Delimiter>(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n'),
        table,
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (delimiter, lineEnd, { header, rows }, sizes) => {
          const bytes = utf8(writeCsv([header, ...rows], delimiter, lineEnd));
          const chunks: Uint8Array[] = [];
          for (let at = 0, k = 0; at < bytes.length; k++) {
            const size = sizes[k % sizes.length] ?? 1;
            chunks.push(bytes.subarray(at, at + size));
            at += size;
          }
          const result = readChunks(chunks);
          expect(result.delimiter).toBe(delimiter);
          expect(result.header).toEqual(header);
          expect(result.bad).toEqual([]);
          expect(result.records.map(([, fields]) => fields)).toEqual(rows);
        },
      ),
      { numRuns: 500 },
    );
  });
});
