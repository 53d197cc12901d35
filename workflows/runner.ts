/**
 * Runs one state machine to its end on a fresh in-memory engine and reports
 * the outcome like DescribeExecution. Shared by `npm run asl` and the
 * conformance runner, so both exercise the same code path.
 */
import { type Clock, RealClock, VirtualClock } from './engine/clock.ts';
import { Engine } from './engine/engine.ts';
import { DefinitionError } from './engine/errors.ts';
import type { Json } from './engine/json.ts';
import { type LambdaModule, ModuleLambdaInvoker } from './engine/lambda.ts';

export type RunAslResult =
  | { status: 'SUCCEEDED'; output: Json }
  | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error?: string; cause?: string }
  | { status: 'INVALID_DEFINITION'; problems: string[] };

export interface RunAslOptions {
  definition: string | Json;
  input?: Json;
  /** Jump the clock to the next timer whenever the execution has nothing else to do. */
  virtualTime?: boolean;
  /** Lambda function name -> handler module path (or module). */
  lambdas?: Record<string, string | LambdaModule>;
  /**
   * With virtual time: how long (real milliseconds) an invoked task may stay
   * unanswered before the clock jumps to the next timer (a task timeout).
   */
  idleMs?: number;
  name?: string;
}

const realPause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function runAsl(options: RunAslOptions): Promise<RunAslResult> {
  const virtual = options.virtualTime === true;
  const clock: Clock = virtual ? new VirtualClock() : new RealClock();
  const engine = new Engine({ clock, lambda: new ModuleLambdaInvoker(options.lambdas ?? {}) });
  const name = options.name ?? 'local-run';
  let stateMachineArn: string;
  try {
    ({ stateMachineArn } = await engine.createStateMachine({ name, definition: options.definition }));
  } catch (err) {
    if (err instanceof DefinitionError) return { status: 'INVALID_DEFINITION', problems: err.problems };
    throw err;
  }
  const { executionArn } = await engine.startExecution({ stateMachineArn, input: options.input ?? {}, name: 'execution' });
  let finished = false;
  const done = engine.waitForExecution(executionArn).then((record) => {
    finished = true;
    return record;
  });
  if (clock instanceof VirtualClock) {
    const idleMs = options.idleMs ?? 250;
    while (!finished) {
      await engine.settled();
      await turn();
      if (finished) break;
      if (engine.busy.inFlight > 0) {
        // Let answered tasks come back before time jumps.
        const started = Date.now();
        while (!finished && engine.busy.inFlight > 0 && Date.now() - started < idleMs) await realPause(1);
        if (finished || engine.busy.inFlight === 0 || engine.busy.processing > 0) continue;
      }
      const next = clock.nextTimerAt();
      if (next === undefined) {
        if (engine.busy.inFlight > 0) continue;
        if (engine.busy.processing > 0) continue;
        await turn();
        if (finished) break;
        // Nothing can wake the execution: it waits for a task token nobody will send.
        await engine.stopExecution(executionArn, { error: 'Local.Stalled', cause: 'The execution waits for something nothing will deliver (a task token?)' });
        break;
      }
      clock.advanceTo(next);
    }
  }
  const record = await done;
  if (record.status === 'SUCCEEDED') return { status: 'SUCCEEDED', output: record.output ?? null };
  return {
    status: record.status === 'RUNNING' ? 'FAILED' : record.status,
    ...(record.error !== undefined ? { error: record.error } : {}),
    ...(record.cause !== undefined ? { cause: record.cause } : {}),
  };
}
