/**
 * Shared by the docs-*.test.ts files: runs one definition to its end on an
 * engine with a virtual clock (time jumps to the next timer whenever nothing
 * else can happen) and reports the outcome like DescribeExecution, with the
 * virtual time it took and the history, so a case can assert what the
 * documentation states about timing.
 */
import { VirtualClock } from '../../workflows/engine/clock.ts';
import { Engine } from '../../workflows/engine/engine.ts';
import type { Json } from '../../workflows/engine/json.ts';
import { type LambdaModule, ModuleLambdaInvoker } from '../../workflows/engine/lambda.ts';
import type { HistoryEvent } from '../../workflows/engine/types.ts';

export const FN = 'arn:aws:lambda:us-east-1:123456789012:function:';
export const START = Date.UTC(2026, 0, 1);

export type Outcome = { status: 'SUCCEEDED'; output: Json } | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error?: string; cause?: string };

export interface Run {
  outcome: Outcome;
  /** Virtual milliseconds from start to stop. */
  elapsedMs: number;
  history: HistoryEvent[];
  clock: VirtualClock;
}

export function machine(states: Record<string, Json>, extra: Record<string, Json> = {}): Json {
  return { StartAt: Object.keys(states)[0] ?? '', States: states, ...extra };
}

export function jsonata(states: Record<string, Json>, extra: Record<string, Json> = {}): Json {
  return machine(states, { QueryLanguage: 'JSONata', ...extra });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `definition`; `lambdas` receives the clock so a handler can note when
 * it was called. `random` replaces Math.random (jitter, $random, MathRandom).
 */
export async function runDoc(
  definition: Json,
  input: Json = {},
  options: { lambdas?: (clock: VirtualClock) => Record<string, LambdaModule>; random?: () => number; name?: string } = {},
): Promise<Run> {
  const clock = new VirtualClock(START);
  const engine = new Engine({ clock, lambda: new ModuleLambdaInvoker(options.lambdas?.(clock) ?? {}), ...(options.random ? { random: options.random } : {}) });
  const { stateMachineArn } = await engine.createStateMachine({ name: 'docs', definition });
  const { executionArn } = await engine.startExecution({ stateMachineArn, input, name: options.name ?? 'execution' });
  let finished = false;
  const done = engine.waitForExecution(executionArn).then((r) => {
    finished = true;
    return r;
  });
  let idleSince: number | undefined;
  while (!finished) {
    await engine.settled();
    await turn();
    if (finished) break;
    if (engine.busy.processing > 0) continue;
    if (engine.busy.inFlight > 0) {
      // A task still running (a handler waiting on the virtual clock): once it has
      // had a few real milliseconds to answer, let time move on.
      idleSince ??= Date.now();
      if (Date.now() - idleSince < 10) continue;
    }
    idleSince = undefined;
    const next = clock.nextTimerAt();
    if (next === undefined) {
      if (engine.busy.inFlight > 0) continue;
      await turn();
      if (finished) break;
      await engine.stopExecution(executionArn, { error: 'Test.Stalled', cause: 'nothing can wake the execution' });
      break;
    }
    clock.advanceTo(next);
  }
  const record = await done;
  const outcome: Outcome =
    record.status === 'SUCCEEDED'
      ? { status: 'SUCCEEDED', output: record.output ?? null }
      : {
          status: record.status === 'RUNNING' ? 'FAILED' : record.status,
          ...(record.error !== undefined ? { error: record.error } : {}),
          ...(record.cause !== undefined ? { cause: record.cause } : {}),
        };
  return { outcome, elapsedMs: (record.stopDate ?? clock.now()) - record.startDate, history: await engine.getExecutionHistory(executionArn), clock };
}

/** Just the outcome. */
export async function outcomeOf(definition: Json, input: Json = {}, lambdas: Record<string, LambdaModule> = {}): Promise<Outcome> {
  return (await runDoc(definition, input, { lambdas: () => lambdas })).outcome;
}

/** A Lambda that throws an error of this name, and notes the virtual time of every call. */
export function failing(clock: VirtualClock, names: string[] | string, calls: number[] = []): LambdaModule & { calls: number[] } {
  let i = 0;
  return {
    calls,
    handler: () => {
      calls.push(clock.now());
      const list = typeof names === 'string' ? [names] : names;
      const name = list[Math.min(i++, list.length - 1)] ?? 'Error';
      throw Object.assign(new Error(`${name} raised`), { name });
    },
  };
}

/** A seeded generator (mulberry32), so a randomised case is repeatable. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
