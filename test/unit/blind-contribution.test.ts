import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { blindContribution, blindContributionCsv, blindContributionFile, type BlindRow, validateBlindContribution } from '../../shared/blind/contribution.ts';
import { blindColumns, looksBlind } from '../../shared/blind/format.ts';
import { blindToken, domainLabel } from '../../shared/blind/tokens.ts';
import { type AccountRow, validateContribution } from '../../shared/contributions/validate.ts';
import { nameKey } from '../../shared/matching/name-key.ts';

const secret = { key: Buffer.alloc(32, 9) };
const BOTH = { domain: true, name: true };
const WITH_COUNTRY = { domain: true, name: true, blindCountry: true };

const rows: AccountRow[] = [
  { ref: 'crm-1', line: 2, name: 'Initech, Inc.', website: 'https://www.initech.com/about', population: 'customer', country: 'US' },
  { ref: 'crm-2', line: 3, name: 'Globex GmbH', email: 'anna@globex.de', population: 'prospect' },
  { ref: 'crm-3', line: 4, name: 'Umbrella', population: 'opportunity' },
  { ref: 'crm-4', line: 5, name: '', email: 'someone@gmail.com', population: 'customer' },
];

async function validate(csv: string, matching = BOTH, populations?: ('customer' | 'opportunity' | 'prospect')[]) {
  const accepted: BlindRow[] = [];
  const report = await validateBlindContribution(Readable.from([Buffer.from(csv)]), { matching, ...(populations ? { populations } : {}) }, (row) => accepted.push(row));
  return { report, accepted };
}

describe('blindContribution (the client side)', () => {
  it('replaces each key the terms match on by its token, with the matcher’s own normalisers', () => {
    const blinded = blindContribution(rows, secret, WITH_COUNTRY);
    expect(blinded.rows).toHaveLength(3);
    const [initech, globex, umbrella] = blinded.rows;
    expect(initech?.record).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(initech).toEqual({
      record: initech?.record,
      population: 'customer',
      domainToken: blindToken(secret.key, 'domain', 'initech.com'),
      labelToken: blindToken(secret.key, 'label', 'initech'),
      nameToken: blindToken(secret.key, 'name', nameKey('Initech, Inc.')),
      countryToken: blindToken(secret.key, 'country', 'US'),
    });
    // The work e-mail's domain; the country of its ccTLD, as the clear matcher reads it.
    expect(globex?.domainToken).toBe(blindToken(secret.key, 'domain', 'globex.de'));
    expect(globex?.countryToken).toBe(blindToken(secret.key, 'country', 'DE'));
    expect(umbrella).toEqual({ record: umbrella?.record, population: 'opportunity', nameToken: blindToken(secret.key, 'name', 'umbrella') });
    // A free-mail address and no name: nothing to match on, nothing uploaded.
    expect(blinded.unmatchable.map((row) => row.ref)).toEqual(['crm-4']);
  });

  it('keeps the map from random record references back to the rows on the client, never a row’s id or line', () => {
    const blinded = blindContribution(rows, secret, BOTH);
    const records = blinded.rows.map((row) => row.record);
    expect(new Set(records).size).toBe(3);
    expect(records.map((record) => blinded.records.get(record)?.ref)).toEqual(['crm-1', 'crm-2', 'crm-3']);
    for (const record of records) expect(record).not.toMatch(/crm|^[0-9]+$/);
    // Another blinding of the same rows: other references.
    expect(blindContribution(rows, secret, BOTH).rows.map((row) => row.record)).not.toEqual(records);
  });

  it('uploads only what the terms match on', () => {
    expect(Object.keys(blindContribution(rows, secret, { domain: true, name: false }).rows[0]!).sort()).toEqual(['domainToken', 'population', 'record']);
    expect(Object.keys(blindContribution(rows, secret, { domain: false, name: true }).rows[0]!).sort()).toEqual(['nameToken', 'population', 'record']);
    expect(blindContribution(rows, secret, BOTH).rows[0]).not.toHaveProperty('countryToken');
    // Domains only: a row without one cannot match and stays home.
    expect(blindContribution(rows, secret, { domain: true, name: false }).unmatchable.map((row) => row.ref)).toEqual(['crm-3', 'crm-4']);
  });

  it('writes the CSV with exactly the columns of the terms, and reads back what it wrote', async () => {
    expect(blindColumns(BOTH)).toEqual(['record', 'population', 'domainToken', 'labelToken', 'nameToken']);
    expect(blindColumns(WITH_COUNTRY)).toEqual(['record', 'population', 'domainToken', 'labelToken', 'nameToken', 'countryToken']);
    expect(blindColumns({ domain: true, name: false, blindCountry: true })).toEqual(['record', 'population', 'domainToken']);
    const blinded = blindContribution(rows, secret, WITH_COUNTRY);
    const csv = blindContributionCsv(blinded.rows, WITH_COUNTRY);
    expect(csv.split('\n')[0]).toBe('record,population,domainToken,labelToken,nameToken,countryToken');
    expect(csv).not.toMatch(/initech|globex|umbrella/i);
    const { report, accepted } = await validate(csv, WITH_COUNTRY);
    expect(report).toMatchObject({ verdict: 'accepted', rowsRead: 3, accepted: 3, rejected: 0, populations: { customer: 1, prospect: 1, opportunity: 1 } });
    expect(accepted).toEqual(blinded.rows);
  });
});

describe('blindContributionFile (the whole client side)', () => {
  it('reads the export with the server’s validator and options, and blinds what it accepts', async () => {
    const csv = 'Company,Domain,Status\nInitech Inc.,initech.com,\nGlobex,globex.de,Prospect\n';
    const file = await blindContributionFile(Readable.from([Buffer.from(csv)]), { defaultPopulation: 'customer' }, secret, BOTH);
    expect(file.report).toMatchObject({ verdict: 'accepted', accepted: 2, rejected: 0 });
    expect(file.csv.split('\n')[0]).toBe('record,population,domainToken,labelToken,nameToken');
    expect([...file.records.values()].map((row) => [row.name, row.population])).toEqual([
      ['Initech Inc.', 'customer'],
      ['Globex', 'prospect'],
    ]);
    expect((await validate(file.csv)).accepted.map((row) => row.domainToken)).toEqual([blindToken(secret.key, 'domain', 'initech.com'), blindToken(secret.key, 'domain', 'globex.de')]);
  });

  it('blinds nothing of a list the server would reject', async () => {
    const file = await blindContributionFile(Readable.from([Buffer.from('Owner\nAlice\n')]), {}, secret, BOTH);
    expect(file.report.verdict).toBe('rejected');
    expect(file.csv).toBe('');
    expect(file.rows).toEqual([]);
  });
});

describe('validateBlindContribution (the server side)', () => {
  const header = 'record,population,domainToken,labelToken,nameToken';
  const token = (value: string) => blindToken(secret.key, 'domain', value);
  const good = (n: number) => `rec${String(n).padStart(13, '0')},customer,${token(`d${n}.com`)},${blindToken(secret.key, 'label', `d${n}`)},${blindToken(secret.key, 'name', `n${n}`)}`;
  const filler = Array.from({ length: 60 }, (_, n) => good(n));

  it('rejects bad rows by line number, and never quotes a value of the file', async () => {
    const csv = [
      header,
      ...filler,
      `Initech Inc,customer,${token('a.com')},,`,
      `rec0000000000000x,client,${token('b.com')},,`,
      `rec0000000000000y,customer,initech.com,,`,
      'rec0000000000000z,customer,,,',
      `rec000000000000zz,customer,,${blindToken(secret.key, 'label', 'x')},${blindToken(secret.key, 'name', 'x')}`,
      `rec00000000000zzz,customer,${token('c.com')}`,
      '',
    ].join('\n');
    const { report } = await validate(csv);
    expect(report.verdict).toBe('accepted');
    expect(report.rejections.map((rejection) => rejection.line)).toEqual([62, 63, 64, 65, 66, 67]);
    expect(report.rejections[0]?.reason).toMatch(/^record must be 16 to 64 base64url characters/);
    expect(report.rejections[1]?.reason).toMatch(/^population must be customer, opportunity or prospect/);
    expect(report.rejections[2]?.reason).toMatch(/^domainToken must be a token: 22 base64url characters/);
    expect(report.rejections[3]?.reason).toBe('the row has neither a domainToken nor a nameToken');
    expect(report.rejections[4]?.reason).toBe('labelToken goes with a domainToken');
    expect(report.rejections[5]?.reason).toBe('the row has 3 fields where the header has 5');
    expect(JSON.stringify(report)).not.toMatch(/Initech|client|initech\.com/);
  });

  it('refuses a clear account list, saying what to upload instead', async () => {
    const { report } = await validate('Account Name,Website,Type\nInitech,initech.com,Customer\n');
    expect(report.verdict).toBe('rejected');
    expect(report.reason).toMatch(/this agreement matches blind: upload the blind contribution that `accord contribute --blind` makes/);
    expect(JSON.stringify(report)).not.toMatch(/Initech|initech\.com/);
  });

  it('refuses columns the terms do not ask for, and missing ones', async () => {
    const withCountry = await validate(`${header},countryToken\n${good(1)},${blindToken(secret.key, 'country', 'US')}\n`);
    expect(withCountry.report.reason).toMatch(/the terms do not ask for "countryToken"/);
    const domainsOnly = await validate(`record,population,domainToken\nrec0000000000001,customer,${token('a.com')}\n`);
    expect(domainsOnly.report.reason).toMatch(/it lacks "labelToken", "nameToken"/);
    const twice = await validate(`${header},record\n${good(1)},rec0000000000001\n`);
    expect(twice.report.reason).toMatch(/repeats "record"/);
  });

  it('refuses rows of a population the side does not contribute, and a file of mostly bad rows', async () => {
    const { report } = await validate([header, good(1), good(2).replace('customer', 'prospect'), ''].join('\n'), BOTH, ['customer']);
    expect(report.rejections).toEqual([{ line: 3, reason: 'the row is a prospect, which this side does not contribute under the terms' }]);
    expect(report.verdict).toBe('rejected');
    expect(report.reason).toMatch(/1 of 2 rows were rejected \(50%\)/);
  });

  it('says a file with a header only has no rows', async () => {
    expect((await validate(`${header}\n`)).report.reason).toBe('the file has a header but no rows');
  });
});

describe('the clear validator', () => {
  it('refuses a blind contribution in a clear agreement', async () => {
    const csv = blindContributionCsv(blindContribution(rows, secret, BOTH).rows, BOTH);
    const report = await validateContribution(Readable.from([Buffer.from(csv)]), {});
    expect(report.verdict).toBe('rejected');
    expect(report.reason).toBe('this is a blind contribution (record and token columns), but the agreement matches in the clear: upload the account list itself');
    expect(looksBlind(['Account Name', 'Record ID'])).toBe(false);
  });
});

describe('domainLabel', () => {
  it('is what labelToken hashes', () => {
    expect(blindContribution([rows[0]!], secret, BOTH).rows[0]?.labelToken).toBe(blindToken(secret.key, 'label', domainLabel('initech.com')));
  });
});
