import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { dynamodb, s3 } from '../../functions/lib/clients.ts';
import { ENV } from '../../infra/definitions.ts';
import { type AccountRow, validateContribution } from '../../shared/contributions/validate.ts';
import { normaliseRow } from '../../shared/matching/pipeline.ts';

/**
 * The proof of a blind engagement (docs/blind-matching.md): two lists of
 * invented companies, so that any trace of them is unmistakable, and what
 * the table and the buckets hold for an agreement, to search for them.
 */

const HEADER = 'Account ID,Account Name,Website,Type,Country';
export const PROPOSER_CSV = [
  HEADER,
  'p-01,Quillfeather Analytics Inc,https://www.quillfeather-analytics.com,Customer,US',
  'p-02,Brambleworth Logistics GmbH,brambleworth.de,Customer,DE',
  'p-03,Zephyrine Biotech,zephyrine-bio.com,Prospect,',
  'p-04,Marrowvale Foods Ltd,,Opportunity,GB',
  'p-05,Thistlecombe Robotics,thistlecombe.io,Prospect,US',
  'p-06,Cobblewick Dental,cobblewick-dental.com,Customer,',
  'p-07,Quillfeather Analytics,quillfeather-analytics.com,Prospect,US',
  'p-08,Larkspurine Capital,larkspurine.com,Opportunity,',
  'p-09,Fennimore Shipping S.A.,,Prospect,FR',
  'p-10,Glimmerdale Systems,glimmerdale-systems.com,Customer,',
  '',
].join('\n');
export const COUNTERPARTY_CSV = [
  HEADER,
  'c-01,QUILLFEATHER ANALYTICS,quillfeather-analytics.com,Prospect,',
  'c-02,Brambleworth Logistics,https://brambleworth.com/en,Opportunity,',
  'c-03,Zephyrine Biotech AG,zephyrine-biotech.ch,Customer,CH',
  'c-04,Marrowvale Foods,,Customer,',
  'c-05,Thistlecombe Robotics,,Customer,DE',
  'c-06,Cobblewick Dental,,Opportunity,',
  'c-07,Wrenholt Mining,wrenholt-mining.com,Customer,',
  'c-08,Fennimore Shipping,,Opportunity,',
  'c-09,Larkspurine Capital,www.larkspurine.com,Customer,',
  '',
].join('\n');

/** The rows of a list as the server's validator reads them. */
export async function rowsOf(csv: string): Promise<AccountRow[]> {
  const rows: AccountRow[] = [];
  const report = await validateContribution(Readable.from([Buffer.from(csv)]), {}, (row) => rows.push(row));
  expect(report.verdict).toBe('accepted');
  return rows;
}

/** Every name and domain of the lists, as written and as normalised, and each name's first word: none of them may be stored. */
export async function namesAndDomainsOf(csvs: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const row of (await Promise.all(csvs.map(rowsOf))).flat()) {
    const account = normaliseRow(row);
    for (const value of [row.name, row.website, account.domainKey, account.nameKey]) if (value) out.add(value);
    out.add(account.nameKey.split(' ')[0]!);
  }
  return [...out].filter((value) => value.length >= 6);
}

/** Every item of the table whose JSON names one of `ids` (the agreement, its parties). */
export async function storedItemsOf(ids: readonly string[]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: process.env[ENV.tableName], ExclusiveStartKey }));
    for (const item of page.Items ?? []) {
      const text = JSON.stringify(item);
      if (ids.some((id) => text.includes(id))) items.push(item);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/** Every object of the agreement in the uploads and results buckets, with its text. */
export async function storedObjectsOf(agreementId: string): Promise<{ key: string; text: string }[]> {
  const out: { key: string; text: string }[] = [];
  const under = [
    [process.env[ENV.uploadsBucket] ?? '', `contributions/${agreementId}/`],
    [process.env[ENV.resultsBucket] ?? '', `results/${agreementId}/`],
  ] as const;
  for (const [bucket, prefix] of under) {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        out.push({ key: object.Key ?? '', text: (await body.Body?.transformToString()) ?? '' });
      }
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
  }
  return out;
}

/** `where: value` for each stored text that holds one of `forbidden`, in any case. */
export function leaks(items: readonly Record<string, unknown>[], objects: readonly { key: string; text: string }[], forbidden: readonly string[]): string[] {
  const texts = [...items.map((item) => ({ where: `${String(item.pk)} ${String(item.sk)}`, text: JSON.stringify(item) })), ...objects.map((object) => ({ where: object.key, text: object.text }))];
  return texts.flatMap(({ where, text }) => forbidden.filter((value) => text.toLowerCase().includes(value.toLowerCase())).map((value) => `${where}: ${value}`));
}
