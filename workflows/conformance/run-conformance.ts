/**
 * npm run conformance [-- --filter SUBSTRING] [--strict] [--verbose]
 *
 * Runs every AWS-recorded case of ../shared/conformance/asl-aws through the
 * same runAsl the `asl` runner uses, then prints the pass rate by family and
 * by feature and each failing case with its difference. Exits non-zero only
 * when the harness itself crashes, or with --strict when a case fails.
 */
import { parseArgs } from 'node:util';
import { type CaseOutcome, conformanceDir, loadCases, runCases } from './cases.ts';

function pct(p: number, t: number): string {
  return t === 0 ? '-' : `${((100 * p) / t).toFixed(1)}%`;
}

function table(title: string, groups: Map<string, { pass: number; total: number }>): string {
  const rows = [...groups.entries()].sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]));
  const width = Math.max(title.length, ...rows.map(([k]) => k.length));
  const lines = [`${title.padEnd(width)}  pass/total  rate`];
  for (const [k, v] of rows) lines.push(`${k.padEnd(width)}  ${`${v.pass}/${v.total}`.padStart(10)}  ${pct(v.pass, v.total).padStart(6)}`);
  return lines.join('\n');
}

function clip(value: unknown, max = 400): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      filter: { type: 'string' },
      strict: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
    },
  });
  const dir = conformanceDir();
  if (!dir) {
    process.stdout.write('Skipped: ../shared/conformance/asl-aws is not beside this checkout (it holds the AWS-recorded cases).\n');
    return;
  }
  const cases = loadCases(dir, values.filter);
  const started = Date.now();
  const outcomes = await runCases(cases, { concurrency: values.concurrency ? Number(values.concurrency) : 8 });
  const byFamily = new Map<string, { pass: number; total: number }>();
  const byFeature = new Map<string, { pass: number; total: number }>();
  const bump = (m: Map<string, { pass: number; total: number }>, k: string, o: CaseOutcome): void => {
    const g = m.get(k) ?? { pass: 0, total: 0 };
    g.total++;
    if (o.passed) g.pass++;
    m.set(k, g);
  };
  for (const o of outcomes) {
    bump(byFamily, o.family, o);
    for (const f of o.features.length > 0 ? o.features : ['(none)']) bump(byFeature, f, o);
  }
  const failed = outcomes.filter((o) => !o.passed);
  const out: string[] = [];
  out.push(table('family', byFamily), '', table('feature', byFeature), '');
  if (failed.length > 0) {
    out.push(`Failing cases (${failed.length}):`);
    for (const o of failed) {
      out.push(`✗ ${o.name}: ${o.difference ?? ''}`);
      out.push(`    expected ${clip(o.expected, values.verbose ? 5000 : 400)}`);
      out.push(`    actual   ${clip(o.actual, values.verbose ? 5000 : 400)}`);
    }
    out.push('');
  }
  const passed = outcomes.length - failed.length;
  out.push(`Conformance: ${passed}/${outcomes.length} passed (${pct(passed, outcomes.length)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (values.strict && failed.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(2);
});
