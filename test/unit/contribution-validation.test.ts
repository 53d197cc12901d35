import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { headerKey, populationReader, resolveColumns } from '../../shared/contributions/columns.ts';
import { type AccountRow, cleanValue, validateContribution, type ValidationOptions, type ValidationReport } from '../../shared/contributions/validate.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

/** An async iterable of the items, as a stream gives them. */
async function* streamOf<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

function* pieces(bytes: Uint8Array, size: number) {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

const chunksOf = (bytes: Uint8Array, size: number) => streamOf(pieces(bytes, size));

async function validate(file: string | Uint8Array, options: ValidationOptions = {}, chunkSize = 7): Promise<{ report: ValidationReport; rows: AccountRow[] }> {
  const rows: AccountRow[] = [];
  const report = await validateContribution(chunksOf(typeof file === 'string' ? utf8(file) : file, chunkSize), options, (row) => rows.push(row));
  return { report, rows };
}

const csv = (...lines: string[]) => lines.join('\r\n') + '\r\n';

describe('CRM exports', () => {
  it('reads a Salesforce accounts report (every field quoted)', async () => {
    const { report, rows } = await validate(
      csv(
        '"Account ID","Account Name","Type","Website","Billing Country","Account Owner","Industry"',
        '"0015g00000AbCdE","Acme, Inc.","Customer - Direct","www.acme.com","United States","Ada Lovelace","Manufacturing"',
        '"0015g00000AbCdF","Globex","Prospect","https://globex.com/en","Germany","Alan Turing",""',
        '"0015g00000AbCdG","Initech","Customer - Channel","","","Grace Hopper","Software"',
      ),
    );
    expect(report).toEqual({
      verdict: 'accepted',
      rowsRead: 3,
      accepted: 3,
      rejected: 0,
      rejections: [],
      populations: { customer: 2, opportunity: 0, prospect: 1 },
      columns: { id: 'Account ID', name: 'Account Name', domain: 'Website', population: 'Type', country: 'Billing Country', owner: 'Account Owner' },
      delimiter: ',',
      bytes: expect.any(Number) as number,
    });
    expect(rows[0]).toEqual({
      ref: '0015g00000AbCdE',
      line: 2,
      name: 'Acme, Inc.',
      website: 'www.acme.com',
      population: 'customer',
      country: 'United States',
      owner: 'Ada Lovelace',
    });
    expect(rows[2]).toEqual({ ref: '0015g00000AbCdG', line: 4, name: 'Initech', population: 'customer', owner: 'Grace Hopper' });
  });

  it('reads a HubSpot companies export (lifecycle stages, internal values too)', async () => {
    const { report, rows } = await validate(
      csv(
        'Record ID,Company name,Company Domain Name,Lifecycle Stage,Company owner,Country/Region,Type,Create Date',
        '101,Acme,acme.com,Customer,Ada Lovelace,United States,Partner,2024-01-02',
        '102,Globex,globex.com,Opportunity,,Germany,,2024-01-03',
        '103,Initech,initech.com,salesqualifiedlead,,,,2024-01-04',
        '104,Umbrella,umbrella.com,Lead,,,,2024-01-05',
        '105,Hooli,hooli.com,marketingqualifiedlead,,,,2024-01-06',
      ),
    );
    expect(report.columns).toEqual({
      id: 'Record ID',
      name: 'Company name',
      domain: 'Company Domain Name',
      population: 'Lifecycle Stage',
      country: 'Country/Region',
      owner: 'Company owner',
    });
    expect(report.populations).toEqual({ customer: 1, opportunity: 2, prospect: 2 });
    expect(rows.map((row) => row.ref)).toEqual(['101', '102', '103', '104', '105']);
  });

  it('reads a Pipedrive organizations export (semicolons, labels)', async () => {
    const { report } = await validate(
      csv(
        'Organization - ID;Organization - Name;Organization - Owner;Organization - Label;Organization - Website;Organization - Address - Country',
        '1;Acme GmbH;Ada;Customer;acme.de;Germany',
        '2;Globex SARL;Alan;Hot lead;globex.fr;France',
        '3;Initech BV;Grace;Warm lead;initech.nl;Netherlands',
      ),
    );
    expect(report.delimiter).toBe(';');
    expect(report.columns).toEqual({
      id: 'Organization - ID',
      name: 'Organization - Name',
      domain: 'Organization - Website',
      population: 'Organization - Label',
      country: 'Organization - Address - Country',
      owner: 'Organization - Owner',
    });
    expect(report.populations).toEqual({ customer: 1, opportunity: 0, prospect: 2 });
  });

  it('reads a tab-separated export with an e-mail column only', async () => {
    const { report, rows } = await validate(csv('Email\tStatus', 'ceo@acme.com\tClosed Won', 'buyer@globex.com\tIn Pipeline', 'info@initech.com\tTarget'));
    expect(report.delimiter).toBe('\t');
    expect(report.populations).toEqual({ customer: 1, opportunity: 1, prospect: 1 });
    expect(rows[0]).toEqual({ ref: '2', line: 2, name: '', email: 'ceo@acme.com', population: 'customer' });
  });

  it('takes an explicit mapping and the request’s own population values over the known names', async () => {
    const { report, rows } = await validate(
      csv('Kunden-Nr.;Firma;Webseite;Kundenstatus;Name', 'K1;Acme AG;acme.ch;Bestandskunde;Ada', 'K2;Globex AG;globex.ch;Interessent;Alan'),
      {
        columnMapping: { id: 'Kunden-Nr.', name: 'firma', domain: 'Webseite', population: 'Kundenstatus', owner: 'Name' },
        populationValues: { Bestandskunde: 'customer', interessent: 'prospect' },
      },
    );
    expect(report.verdict).toBe('accepted');
    expect(report.columns).toEqual({ id: 'Kunden-Nr.', name: 'Firma', domain: 'Webseite', population: 'Kundenstatus', owner: 'Name' });
    expect(rows.map((row) => [row.ref, row.name, row.population, row.owner])).toEqual([
      ['K1', 'Acme AG', 'customer', 'Ada'],
      ['K2', 'Globex AG', 'prospect', 'Alan'],
    ]);
  });

  it('gives the same report whichever chunks the file comes in', async () => {
    const file = utf8(csv('Account Name;Website;Type', '"Société ""Générale""; SA";sg.fr;Customer', '"Multi', 'line";multi.com;Lead', 'Bad;;Partner', '漢字;kanji.jp;Opportunity'));
    const { report: reference, rows: referenceRows } = await validate(file, {}, file.length);
    expect(reference.rejections).toEqual([{ line: 5, reason: expect.stringMatching(/^population "Partner" is not recognised/) as string }]);
    for (let size = 1; size < 40; size++) {
      const { report, rows } = await validate(file, { maxBadRowShare: 0.5 }, size);
      expect(report, `chunks of ${size}`).toEqual({ ...reference, verdict: 'accepted', reason: undefined });
      expect(rows).toEqual(referenceRows);
    }
  });
});

describe('rows rejected, with their line and reason', () => {
  const header = 'Account Name,Website,Email,Type,Country,Owner,Account ID';
  const share = { maxBadRowShare: 1 };

  it.each([
    ['no name, domain or e-mail', ',,,Customer,US,Ada,', 'the row has no name, domain or e-mail'],
    ['placeholders only', 'N/A,-,none,Customer,,,', 'the row has no name, domain or e-mail'],
    ['a web address with a space', 'Acme,acme dot com,,Customer,,,', 'domain "acme dot com" is not a web address or domain'],
    ['a malformed e-mail', 'Acme,,ceo(at)acme.com,Customer,,,', 'email "ceo(at)acme.com" is not an e-mail address'],
    ['two e-mails in one cell', 'Acme,,a@acme.com; b@acme.com,Customer,,,', 'email "a@acme.com; b@acme.com" is not an e-mail address'],
    ['a name too long', `${'A'.repeat(301)},acme.com,,Customer,,,`, 'name is longer than 300 characters'],
    ['a control character', 'Acme\u0007,acme.com,,Customer,,,', 'name contains a control character (U+0007)'],
    ['too few fields', 'Acme,acme.com,Customer', 'the row has 3 fields where the header has 7'],
    ['too many fields', 'Acme,acme.com,,Customer,,,,x', 'the row has 8 fields where the header has 7'],
    ['an unknown population', 'Acme,acme.com,,Partner,,,', 'population "Partner" is not recognised: use customer, opportunity or prospect (or a CRM value such as Customer, Closed Won, Opportunity, Prospect, Lead)'],
    ['a negated population', 'Acme,acme.com,,Former customer,,,', 'population "Former customer" is not recognised: use customer, opportunity or prospect (or a CRM value such as Customer, Closed Won, Opportunity, Prospect, Lead)'],
    ['an empty population', 'Acme,acme.com,,,,,', 'the population column "Type" is empty and no default population was given'],
  ])('%s', async (_, row, reason) => {
    const { report, rows } = await validate(csv(header, 'Fine,fine.com,,Customer,,,', row), share);
    expect(report.rejections).toEqual([{ line: 3, reason }]);
    expect(report).toMatchObject({ rowsRead: 2, accepted: 1, rejected: 1 });
    expect(rows).toHaveLength(1);
  });

  it('names every problem of a row', async () => {
    const { report } = await validate(csv(header, `Acme\u0001,acme dot com,x@y,Customer,,${'O'.repeat(201)},`), share);
    expect(report.rejections[0]?.reason).toBe(
      'name contains a control character (U+0001); owner is longer than 200 characters; domain "acme dot com" is not a web address or domain; email "x@y" is not an e-mail address',
    );
  });

  it('rejects a population this side does not contribute under the terms', async () => {
    const { report } = await validate(csv(header, 'Acme,acme.com,,Customer,,,', 'Globex,globex.com,,Prospect,,,'), { populations: ['customer', 'opportunity'], maxBadRowShare: 1 });
    expect(report.rejections).toEqual([{ line: 3, reason: 'the row is a prospect, which this side does not contribute under the terms (only customer and opportunity)' }]);
    expect(report.populations).toEqual({ customer: 1, opportunity: 0, prospect: 0 });
  });

  it('cleans values: whitespace and line breaks to single spaces, invisible characters out', async () => {
    const { rows } = await validate(csv(header, '"  Acme\r\n  Corp\u200b ",\u00a0acme.com ,,customer,\tUS,,'));
    expect(rows[0]).toMatchObject({ name: 'Acme Corp', website: 'acme.com', country: 'US', ref: '2' });
  });

  it('gives the default population to rows whose population is empty, not to unknown ones', async () => {
    const { report } = await validate(csv(header, 'Acme,acme.com,,,,,', 'Globex,globex.com,,Vendor,,,'), { defaultPopulation: 'prospect', maxBadRowShare: 1 });
    expect(report.populations).toEqual({ customer: 0, opportunity: 0, prospect: 1 });
    expect(report.rejections.map((rejection) => rejection.line)).toEqual([3]);
  });

  it('skips rows of empty cells without counting them', async () => {
    const { report } = await validate(csv(header, ',,,,,,', 'Acme,acme.com,,Customer,,,', ',,', ',,,,,,,,'));
    expect(report).toMatchObject({ verdict: 'accepted', rowsRead: 1, accepted: 1, rejected: 0 });
  });

  it('keeps the first 100 rejections and counts them all', async () => {
    const lines = [header, ...Array.from({ length: 150 }, (_, index) => `Acme ${index},acme.com,,Partner,,,`), 'Fine,fine.com,,Customer,,,'];
    const { report } = await validate(csv(...lines), share, 4096);
    expect(report.rejected).toBe(150);
    expect(report.rejections).toHaveLength(100);
    expect(report.rejections[99]?.line).toBe(101);
  });

  it('rejects a row with a 10 MB field and reads the rest, in bounded memory', async () => {
    function* tenMegabytes() {
      yield utf8('Account Name,Website,Type\nAcme,acme.com,Customer\n"');
      const piece = utf8('x'.repeat(1024 * 1024));
      for (let i = 0; i < 10; i++) yield piece;
      yield utf8('",big.com,Customer\nGlobex,globex.com,Prospect\n');
    }
    const file = () => streamOf(tenMegabytes());
    const before = process.memoryUsage().heapUsed;
    const report = await validateContribution(file(), {});
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
    expect(report).toMatchObject({ verdict: 'rejected', rowsRead: 3, accepted: 2, rejected: 1, rejections: [{ line: 3, reason: 'a field is larger than 64 KiB' }] });
    // One bad row of three is more than the default 10%: with a looser share the file passes.
    expect(await validateContribution(file(), { maxBadRowShare: 0.5 })).toMatchObject({ verdict: 'accepted', accepted: 2 });
  });
});

describe('files rejected, with a clear reason', () => {
  const rejected = async (file: string | Uint8Array, options: ValidationOptions = {}) => {
    const { report } = await validate(file, options);
    expect(report.verdict).toBe('rejected');
    return report.reason;
  };

  it('refuses an empty file and a header without rows', async () => {
    expect(await rejected('')).toBe('the file is empty');
    expect(await rejected('\r\n\r\n')).toBe('the file is empty');
    expect(await rejected('Account Name,Website\r\n')).toBe('the file has a header but no rows');
    expect(await rejected('Account Name,Website\r\n,\r\n\r\n')).toBe('the file has a header but no rows');
  });

  it('refuses a file that is not CSV', async () => {
    expect(await rejected(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]))).toBe(
      'the file is a ZIP archive, such as an Excel workbook (.xlsx), not CSV: export the list as CSV (UTF-8)',
    );
    expect(await rejected(new Uint8Array([...utf8('Name,Type\nAcme,Customer\n'), 0x00, 0x01]))).toBe('the file contains a NUL byte on line 3: it is binary, not CSV text');
    expect(await rejected('{"accounts": [{"name": "Acme"}]}\n')).toBe('the file is JSON, not CSV: export the list as CSV (UTF-8)');
  });

  it('refuses a file without a usable name, domain or e-mail column', async () => {
    expect(await rejected(csv('Industry,Employees,Type', 'Software,10,Customer'))).toBe(
      'no usable name or domain column: the header has "Industry", "Employees", "Type"; name a column such as "Account Name", "Company" or "Website", or give a column mapping',
    );
    // Prose is a one-column file whose header is no column name.
    expect(await rejected('Dear partner, please find our accounts below.\nAcme\n')).toMatch(/^no usable name or domain column: the header has "Dear partner"/);
  });

  it('refuses a mapping that names a column the file lacks', async () => {
    expect(await rejected(csv('Company,Website', 'Acme,acme.com'), { columnMapping: { name: 'Account Name' } })).toBe(
      'the column mapping names "Account Name" for name, but the header has no such column (it has "Company", "Website")',
    );
  });

  it('refuses a file without a population column when the side contributes several and no default is given', async () => {
    const file = csv('Company,Website', 'Acme,acme.com');
    expect(await rejected(file)).toBe(
      'no population column (such as "Type", "Lifecycle Stage" or "Status") and no default population: add one, map one, or give the population of the whole file (customer, opportunity and prospect)',
    );
    expect((await validate(file, { defaultPopulation: 'opportunity' })).report.populations).toEqual({ customer: 0, opportunity: 1, prospect: 0 });
    expect((await validate(file, { populations: ['customer'] })).report.populations).toEqual({ customer: 1, opportunity: 0, prospect: 0 });
  });

  it('refuses a file with more than the allowed share of bad rows, and accepts one at the share', async () => {
    const file = (bad: number) => csv('Company,Type', ...Array.from({ length: 100 }, (_, index) => `Acme ${index},${index < bad ? 'Partner' : 'Customer'}`));
    expect((await validate(file(10))).report).toMatchObject({ verdict: 'accepted', rejected: 10, accepted: 90 });
    expect(await rejected(file(11))).toBe('11 of 100 rows were rejected (11%), more than the 10% allowed');
    expect(await rejected(file(3), { maxBadRowShare: 0.025 })).toBe('3 of 100 rows were rejected (3%), more than the 2.5% allowed');
    expect(await rejected(file(100), { maxBadRowShare: 1 })).toBe('none of the 100 rows was accepted');
  });

  it('refuses a file too large, with the bytes read', async () => {
    const { report } = await validate(csv('Company,Type', ...Array.from({ length: 200 }, () => 'Acme,Customer')), { maxBytes: 1000 });
    expect(report).toMatchObject({ verdict: 'rejected', reason: 'the file is larger than the limit of 1000 bytes', delimiter: ',' });
    expect(report.bytes).toBeGreaterThan(1000);
    expect(report.bytes).toBeLessThan(1010);
  });

  it('refuses invalid UTF-8, naming its line', async () => {
    const file = new Uint8Array([...utf8('Company,Type\r\nAcme,Customer\r\nSoci'), 0xe9, ...utf8('t\u00e9,Customer\r\n')]);
    expect(await rejected(file)).toBe('the file is not valid UTF-8 (line 3): save or export it as CSV UTF-8');
  });

  it('reads a Node Readable, as S3 gives it', async () => {
    const report = await validateContribution(Readable.from([Buffer.from('\uFEFFCompany;Type\nAcme;Customer\n')]), {});
    expect(report).toMatchObject({ verdict: 'accepted', accepted: 1, delimiter: ';', bytes: 30 });
  });

  it('refuses options that make no sense', async () => {
    await expect(validateContribution(chunksOf(utf8('Company\nAcme\n'), 4), { maxBadRowShare: 2 })).rejects.toThrow();
    await expect(validateContribution(chunksOf(utf8('Company\nAcme\n'), 4), { populations: [] })).rejects.toThrow();
  });
});

describe('columns and values', () => {
  it('compares headers by letters and digits only', () => {
    expect(headerKey(' Account Name ')).toBe('accountname');
    expect(headerKey('Country/Region')).toBe('countryregion');
    expect(headerKey('E-mail')).toBe('email');
  });

  it('prefers the most specific known header and uses a column for one field only', () => {
    expect(resolveColumns(['Name', 'Company name', 'Website URL', 'Domain']).headers).toEqual({ name: 'Company name', domain: 'Domain' });
    expect(resolveColumns(['Account', 'Account Name']).headers).toEqual({ name: 'Account Name' });
    // The mapping takes "Company" for the owner; the name falls to the next known header.
    expect(resolveColumns(['Company', 'Account'], { owner: 'Company' }).headers).toEqual({ owner: 'Company', name: 'Account' });
  });

  it.each([
    ['Customer', 'customer'],
    ['Active Customer', 'customer'],
    ['Customer - Direct', 'customer'],
    ['CLOSED WON', 'customer'],
    ['Client', 'customer'],
    ['Opportunity', 'opportunity'],
    ['Open Opportunity', 'opportunity'],
    ['In Pipeline', 'opportunity'],
    ['Negotiation/Review', 'opportunity'],
    ['Prospect', 'prospect'],
    ['Lead', 'prospect'],
    ['Hot lead', 'prospect'],
    ['Target', 'prospect'],
    ['marketingqualifiedlead', 'prospect'],
    ['Former customer', undefined],
    ['Closed Lost', undefined],
    ['Partner', undefined],
    ['Customer or prospect', undefined],
    ['', undefined],
  ])('reads the population of %j', (value, population) => {
    expect(populationReader()(value)).toBe(population);
  });

  it('does not read a population from an object’s inherited keys', () => {
    expect(populationReader({})('constructor')).toBeUndefined();
  });

  it('cleans a value only when it needs it', () => {
    expect(cleanValue('Acme')).toBe('Acme');
    expect(cleanValue(' Acme \t Corp\n')).toBe('Acme Corp');
    expect(cleanValue('\ufeffAcme\u200d')).toBe('Acme');
    expect(cleanValue('Acme\u0007')).toBe('Acme\u0007');
  });
});
