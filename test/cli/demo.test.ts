import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
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

describe('npm run demo', () => {
  it('runs a whole engagement on a fresh embedded stack and exits 0', { timeout: 300_000 }, async () => {
    const { code, stdout, stderr } = await runDemo(['--embedded', '--rows', '200']);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toContain('Starting the embedded stack');
    expect(stdout).toMatch(/\$ accord signup --name "Northwind Analytics"/);
    // Terms read in words before approval, bad rows reported by line, matching done, audit verified.
    expect(stdout).toMatch(/Approve terms version 1 \(sha256:[0-9a-f]{12}…\) for Fabrikam Cloud\? \[y\/N\] y/);
    expect(stdout).toMatch(/Server report for ctb_[0-9a-z]{20}: fabrikam-accounts\.csv: 200 rows read/);
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
    expect(stdout).toMatch(/Verified: \d+ events chain from the genesis hash/);
    expect(stdout.trimEnd().endsWith('Demo complete.')).toBe(true);
    expect(stderr).not.toMatch(/^accord: /m);
  });
});
