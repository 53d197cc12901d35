import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MATCH_OPTIONS, matchAccounts, pairsToJsonLines } from '../../shared/matching/matcher.ts';
import { readSide } from '../../shared/matching/pipeline.ts';
import { readSideInWorker } from '../../shared/matching/threads.ts';
import { indexSide } from '../../shared/matching/side-index.ts';
import { SAMPLE_A_LINES, SAMPLE_B_LINES } from '../support/sample-accounts.ts';

const csv = (text: string, chunk = 7) => {
  const bytes = Buffer.from(text);
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, n) => bytes.subarray(n * chunk, (n + 1) * chunk)));
};

const A = SAMPLE_A_LINES.join('\r\n');
const B = SAMPLE_B_LINES.join('\n');

const text = (pairs: Parameters<typeof pairsToJsonLines>[0]) => [...pairsToJsonLines(pairs)].join('');

describe('readSideInWorker', () => {
  it('gives the report and the table readSide gives, with the side index built in the worker', async () => {
    const [here, there] = await Promise.all([readSide(csv(A)), readSideInWorker(csv(A))]);
    expect(there.report).toEqual(here.report);
    expect(there.report).toMatchObject({ verdict: 'accepted', accepted: 10, rejected: 1 });
    expect(Array.from({ length: there.table.length }, (_, row) => there.table.row(row))).toEqual(Array.from({ length: here.table.length }, (_, row) => here.table.row(row)));
    expect(there.table.index).toEqual(indexSide(here.table, true));
  });

  it('gives the same pairs as the tables read in this thread, whatever the terms say of domains', async () => {
    const [a, b] = await Promise.all([readSideInWorker(csv(A)), readSideInWorker(csv(B))]);
    const [a0, b0] = await Promise.all([readSide(csv(A)), readSide(csv(B))]);
    for (const domain of [true, false]) {
      const options = { ...DEFAULT_MATCH_OPTIONS, domain };
      const pairs = matchAccounts(a.table, b.table, options).pairs;
      expect(pairs.length).toBeGreaterThan(1);
      expect(text(pairs)).toBe(text(matchAccounts(a0.table, b0.table, options).pairs));
    }
  });

  it('rejects a file that is not CSV with the same reason, and stops reading it', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(1 << 20)]);
    const chunks = () => Readable.from(Array.from({ length: 64 }, () => zip));
    const [here, there] = await Promise.all([readSide(chunks()), readSideInWorker(chunks())]);
    expect(there.report.verdict).toBe('rejected');
    expect(there.report.reason).toBe(here.report.reason);
    expect(there.table.length).toBe(0);
  });
});
