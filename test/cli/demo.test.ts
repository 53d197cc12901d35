import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readCsv } from '../../shared/contributions/csv-reader.ts';
import { PROJECT_ROOT } from './cli-harness.ts';

/**
 * `npm run demo` as a user runs it on a fresh clone: its own embedded stack
 * in a temporary folder (--embedded, so that a local `npm start` cannot
 * stand in for it), two generated account lists, the whole engagement
 * through the CLI, exit 0.
 */

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Nothing of the test stack's environment: the demo starts and configures its own.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|ACCORD_|STATE_MACHINE|TABLE_|.*_BUCKET$)/.test(name)));
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The records of a CSV text, by header name. */
async function csvRecords(text: string): Promise<Record<string, string>[]> {
  let header: string[] = [];
  const records: Record<string, string>[] = [];
  await readCsv(Readable.from([Buffer.from(text)]), {
    header: (fields) => (header = fields),
    record: (fields) => records.push(Object.fromEntries(header.map((name, index) => [name, fields[index] ?? '']))),
    badRecord: (line, reason) => {
      throw new Error(`statement line ${line}: ${reason}`);
    },
  });
  return records;
}

/** num / den rounded half to even: the ledger's rounding rule (docs/referrals.md), computed here on its own. */
function roundHalfEven(num: bigint, den: bigint): bigint {
  const [quotient, twice] = [num / den, 2n * (num % den)];
  return twice > den || (twice === den && quotient % 2n === 1n) ? quotient + 1n : quotient;
}

/** What a command of the transcript printed: the lines after `$ accord <command…>` up to the next command or step. */
function outputOf(stdout: string, command: RegExp): string {
  const start = stdout.search(new RegExp(`^\\$ accord ${command.source}`, 'm'));
  expect(start, command.source).toBeGreaterThanOrEqual(0);
  const rest = stdout.slice(stdout.indexOf('\n', start) + 1);
  const end = rest.search(/^(\$ accord |\d+\. )/m);
  return (end < 0 ? rest : rest.slice(0, end)).trim();
}

/** Ids and times differ from run to run: the same text otherwise. */
function normalised(text: string): string[] {
  return text
    .replace(/\b([a-z]{3})_[0-9a-z]{20}\b/g, '$1_…')
    .replace(/\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}\.\d{3}Z| \d{2}:\d{2} UTC)/g, '<time>')
    .replace(/\b(sha256:)[0-9a-f]{64}\b/g, '$1…')
    .replace(/booked \d{4}-\d{2}\b/g, 'booked <month>')
    .split(/\r?\n/)
    .map((line) => line.trimEnd());
}

/** The transcript excerpt the README shows, line for line in what the demo printed ("(…)" marks a cut). */
async function readmeExcerpt(): Promise<string[][]> {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const demo = readme.slice(readme.indexOf('## Demo'));
  const excerpt = /```text\n([\s\S]*?)\n```/.exec(demo)?.[1] ?? '';
  return excerpt.split('\n(…)\n').map(normalised);
}

describe('npm run demo', () => {
  it('runs a whole engagement on a fresh embedded stack and exits 0', { timeout: 300_000 }, async () => {
    // The defaults (seed 7, 300 rows), as the README shows them.
    const { code, stdout, stderr } = await runDemo(['--embedded']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Starting the embedded stack');
    expect(stdout).toMatch(/\$ accord signup --name "Northwind Analytics"/);
    // Terms read in words before approval, bad rows reported by line, matching done, audit verified.
    expect(stdout).toMatch(/Approve terms version 1 \(sha256:[0-9a-f]{12}…\) for Fabrikam Cloud\? \[y\/N\] y/);
    expect(stdout).toMatch(/Server report for ctb_[0-9a-z]{20}: fabrikam-accounts\.csv: 300 rows read/);
    const pairs = Number(/Accord matched: (\d+) pairs/.exec(stdout)?.[1] ?? 0);
    expect(pairs).toBeGreaterThan(20);
    // Both approve the results; each side's released 9-box is the other's transposed.
    expect(stdout).toContain('Both sides approved: the results are released.');
    const boxes = [...stdout.matchAll(/YOU \\ PARTNER +customers +opportunities +prospects\n((?: +\w+ +\S+ +\S+ +\S+\n){3})/g)].map((m) =>
      m[1]!.trim().split('\n').map((line) => line.trim().split(/ +/).slice(1)),
    );
    // The preview (Fabrikam), then Northwind's and Fabrikam's released views.
    expect(boxes).toHaveLength(3);
    const [preview, northwind, fabrikam] = boxes as [string[][], string[][], string[][]];
    expect(fabrikam).toEqual(preview);
    for (let mine = 0; mine < 3; mine++) for (let theirs = 0; theirs < 3; theirs++) expect(northwind[mine]![theirs]).toBe(fabrikam[theirs]![mine]);

    // A referral on a released match, accepted, its deal won: the statement follows from the terms, in integer cents.
    const { incentives } = parse(await readFile(join(PROJECT_ROOT, 'scripts/demo-terms.yaml'), 'utf8')) as { incentives: { currency: string; referralFeeBps: number; revenueShareBps: number; capMinorUnits: number } };
    expect(stdout).toMatch(/^Referral ref_[0-9a-z]{20} \(.+\) is accepted\.$/m);
    const deal = /^\$ accord referrals won \S+ \S+ --amount (\d+)\.(\d\d) --currency (\w+)/m.exec(stdout);
    expect(deal?.[3]).toBe(incentives.currency);
    const dealMinor = BigInt(`${deal?.[1]}${deal?.[2]}`);
    const records = await csvRecords(outputOf(stdout, /ledger \S+ --statement/));
    const entries = records.filter((record) => record.line === 'entry');
    expect(entries.map((entry) => [entry.kind, Number(entry.bps)])).toEqual([['referral_fee', incentives.referralFeeBps], ['revenue_share', incentives.revenueShareBps]]);
    for (const entry of entries) {
      expect(entry.amount_minor).toMatch(/^\d+$/);
      expect(entry.amount).toBe(`${entry.amount_minor!.slice(0, -2)}.${entry.amount_minor!.slice(-2)}`);
      expect([entry.currency, entry.basis_currency, entry.exchange_rate, entry.basis_amount]).toEqual([incentives.currency, incentives.currency, '1', `${deal?.[1]}.${deal?.[2]}`]);
      // Each entry is within one cent of its exact share (largest remainder) ...
      const exact = Number(dealMinor * BigInt(entry.bps!)) / 10_000;
      expect(Math.abs(Number(entry.amount_minor) - exact)).toBeLessThan(1);
    }
    // ... and together they are the exact total rounded once, half to even, under the cap.
    const total = roundHalfEven(dealMinor * BigInt(incentives.referralFeeBps + incentives.revenueShareBps), 10_000n);
    expect(total).toBeLessThan(BigInt(incentives.capMinorUnits));
    expect(entries.reduce((sum, entry) => sum + BigInt(entry.amount_minor!), 0n)).toBe(total);
    const totals = records.filter((record) => record.line === 'total');
    expect(totals.map((line) => [line.payer, line.payee, line.amount_minor])).toEqual([['Northwind Analytics', 'Fabrikam Cloud', String(total)]]);
    // Both sides read the same ledger: Northwind, introduced, pays Fabrikam, which introduced it.
    const owed = `EUR ${(Number(total) / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })} (2 entries)`;
    expect(outputOf(stdout, /ledger \S+ --profile northwind/)).toContain(`you owe your partner ${owed}`);
    expect(outputOf(stdout, /ledger \S+ --profile fabrikam/)).toContain(`your partner owes you ${owed}`);
    expect(stdout).toMatch(/Verified: \d+ events chain from the genesis hash/);
    expect(stdout.trimEnd().endsWith('Demo complete.')).toBe(true);
    const printed = normalised(stdout).join('\n');
    const parts = await readmeExcerpt();
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(printed).toContain(part.join('\n'));
    expect(stderr).not.toMatch(/^accord: /m);
  });
});
