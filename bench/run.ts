/**
 * `npm run bench`: the local Step Functions runtime on its durable store
 * (SQLite, WAL, synchronous=FULL, group commit), in a temporary data folder
 * that is removed afterwards. Fixed workloads, so it always ends; a guard
 * aborts it after two minutes.
 *
 * 1. Transitions: 100 concurrent executions, each a loop of 50 Lambda tasks
 *    (in-process handler) and 50 Choice states: every task result is its own
 *    durable step. A transition is a state entered, as AWS counts them.
 * 2. Waiting: 1,000 executions parked on waitForTaskToken tasks; resident
 *    memory of the process then, and the rate at which SendTaskSuccess wakes
 *    them all.
 * 3. API load: 200 concurrent clients against the embedded stack started in
 *    a child process, as `npm start` starts it (bench/load.ts, bounded in
 *    requests and time, its own guard).
 * 4. Matching: 1,000,000 x 1,000,000 generated CRM rows through Accord's
 *    pipeline against a DuckDB domain join on the same files
 *    (bench/match-bench.ts, its own ten-minute guard).
 *
 *   npm run bench [-- --load-only | --match-only]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RealClock } from '../workflows/engine/clock.ts';
import { Engine } from '../workflows/engine/engine.ts';
import { type LambdaModule, ModuleLambdaInvoker } from '../workflows/engine/lambda.ts';
import { SqliteStore } from '../workflows/engine/sqlite-store.ts';
import { DEFAULT_LOAD, printLoadReport, runLoadBench } from './load.ts';
import { runMatchBench } from './match-bench.ts';

const CONCURRENT = 100;
const ITERATIONS = 50;
const WAITING = 1000;
const GUARD_MS = 120_000;

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:';

const loop = {
  QueryLanguage: 'JSONata',
  StartAt: 'Work',
  States: {
    Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: `${FN}count`, Payload: { i: '{% $states.input.i %}' } }, Output: '{% $states.result.Payload %}', Next: 'More' },
    More: { Type: 'Choice', Choices: [{ Condition: `{% $states.input.i < ${ITERATIONS} %}`, Next: 'Work' }], Default: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

const parked = {
  QueryLanguage: 'JSONata',
  StartAt: 'Ask',
  States: {
    Ask: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Arguments: { FunctionName: `${FN}notify`, Payload: { token: '{% $states.context.Task.Token %}', agreement: '{% $states.input.agreement %}' } },
      TimeoutSeconds: 259_200,
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
};

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'load-only': { type: 'boolean', default: false }, 'match-only': { type: 'boolean', default: false } } });
  if (!values['match-only']) {
    if (!values['load-only']) await runStepFunctionsBench();
    const load = await runLoadBench(DEFAULT_LOAD);
    printLoadReport(load, DEFAULT_LOAD);
    console.log();
    if (load.errors.length > 0 || load.lost.length > 0) process.exitCode = 1;
  }
  if (!values['load-only']) await runMatchBench();
}

async function runStepFunctionsBench(): Promise<void> {
  const guard = setTimeout(() => {
    console.error(`bench: aborted after ${GUARD_MS / 1000} s`);
    process.exit(1);
  }, GUARD_MS);
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-bench-'));
  const tokens: string[] = [];
  const lambdas: Record<string, LambdaModule> = {
    count: { handler: (event) => ({ i: (event as { i: number }).i + 1 }) },
    notify: {
      handler: (event) => {
        tokens.push((event as { token: string }).token);
        return { sent: true };
      },
    },
  };
  const store = new SqliteStore(join(dataDir, 'stepfunctions', 'executions.sqlite'));
  const engine = new Engine({ clock: new RealClock(), store, lambda: new ModuleLambdaInvoker(lambdas) });
  const rows: [string, string][] = [];
  try {
    const rssStart = process.memoryUsage().rss;

    // 1. Durable transitions with 100 concurrent executions.
    const { stateMachineArn: loopArn } = await engine.createStateMachine({ name: 'loop', definition: loop });
    const before = { ...store.stats };
    const t0 = performance.now();
    const started = await Promise.all(Array.from({ length: CONCURRENT }, (_, n) => engine.startExecution({ stateMachineArn: loopArn, name: `loop-${n}`, input: { i: 0 } })));
    const done = await Promise.all(started.map((s) => engine.waitForExecution(s.executionArn)));
    const seconds = (performance.now() - t0) / 1000;
    if (done.some((r) => r.status !== 'SUCCEEDED')) throw new Error('a loop execution did not succeed');
    let transitions = 0;
    for (const s of started) transitions += (await store.history(s.executionArn)).filter((e) => e.type.endsWith('StateEntered')).length;
    const steps = store.stats.saves - before.saves;
    const commits = store.stats.commits - before.commits;
    rows.push(
      ['executions (concurrent)', String(CONCURRENT)],
      ['state transitions', String(transitions)],
      ['durable steps (saves)', String(steps)],
      ['transactions (fsyncs)', `${commits} (${(steps / commits).toFixed(1)} steps each)`],
      ['elapsed', `${seconds.toFixed(2)} s`],
      ['transitions / s', (transitions / seconds).toFixed(0)],
      ['durable steps / s', (steps / seconds).toFixed(0)],
    );

    // 2. 1,000 executions waiting on task tokens.
    const { stateMachineArn: parkedArn } = await engine.createStateMachine({ name: 'parked', definition: parked });
    for (let n = 0; n < WAITING; n++) await engine.startExecution({ stateMachineArn: parkedArn, name: `parked-${n}`, input: { agreement: `agr-${n}` } });
    while (tokens.length < WAITING || engine.busy.inFlight > 0 || engine.busy.processing > 0) await new Promise((r) => setTimeout(r, 5));
    await engine.settled();
    const rssWaiting = process.memoryUsage().rss;
    const heapWaiting = process.memoryUsage().heapUsed;
    rows.push(['executions waiting on a token', String(WAITING)], ['RSS at start', mb(rssStart)], ['RSS with them waiting', mb(rssWaiting)], ['JS heap used then', mb(heapWaiting)]);
    const t1 = performance.now();
    await Promise.all(tokens.map((token, n) => engine.sendTaskSuccess(token, { approved: n })));
    const wake = (performance.now() - t1) / 1000;
    const running = await store.list({ stateMachineArn: parkedArn, status: 'RUNNING' });
    if (running.length > 0) throw new Error(`${running.length} parked executions still running`);
    rows.push(['SendTaskSuccess to all, elapsed', `${wake.toFixed(2)} s (${(WAITING / wake).toFixed(0)} / s)`]);
  } finally {
    await engine.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    clearTimeout(guard);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('Local Step Functions runtime, durable store (SQLite WAL, synchronous=FULL, group commit)');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log();
}

main().catch((err: unknown) => {
  console.error('bench:', err);
  process.exit(1);
});
