/**
 * Where executions live. The engine saves a record with the history events of
 * a step before carrying out any of that step's effects, so a store that
 * writes durably (a journal file, SQLite) makes the engine crash-safe: on
 * restart every RUNNING record is reloaded and its effects re-derived.
 */
import type { ExecutionRecord, HistoryEvent } from './types.ts';

export interface StoredStateMachine {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn?: string;
  creationDate: number;
}

export interface ExecutionStore {
  putStateMachine(sm: StoredStateMachine): Promise<void>;
  getStateMachine(arn: string): Promise<StoredStateMachine | undefined>;
  listStateMachines(): Promise<StoredStateMachine[]>;
  /** Persists the record and appends the events, atomically. */
  save(record: ExecutionRecord, newEvents: HistoryEvent[]): Promise<void>;
  load(executionArn: string): Promise<ExecutionRecord | undefined>;
  history(executionArn: string): Promise<HistoryEvent[]>;
  /** Every execution, newest first; `running` limits to RUNNING ones. */
  list(filter?: { stateMachineArn?: string; status?: ExecutionRecord['status'] }): Promise<ExecutionRecord[]>;
  /** Writes out anything pending and releases the store. */
  close?(): Promise<void>;
}

/**
 * Keeps records as JSON text, as a durable store would: what comes back from
 * load() is a fresh copy, never the object the engine is mutating.
 */
export class InMemoryStore implements ExecutionStore {
  private readonly machines = new Map<string, StoredStateMachine>();
  private readonly records = new Map<string, string>();
  private readonly events = new Map<string, HistoryEvent[]>();

  putStateMachine(sm: StoredStateMachine): Promise<void> {
    this.machines.set(sm.stateMachineArn, sm);
    return Promise.resolve();
  }
  getStateMachine(arn: string): Promise<StoredStateMachine | undefined> {
    return Promise.resolve(this.machines.get(arn));
  }
  listStateMachines(): Promise<StoredStateMachine[]> {
    return Promise.resolve([...this.machines.values()]);
  }
  save(record: ExecutionRecord, newEvents: HistoryEvent[]): Promise<void> {
    this.records.set(record.executionArn, JSON.stringify(record));
    if (newEvents.length > 0) {
      const list = this.events.get(record.executionArn) ?? [];
      for (const e of newEvents) list.push(e);
      this.events.set(record.executionArn, list);
    }
    return Promise.resolve();
  }
  load(executionArn: string): Promise<ExecutionRecord | undefined> {
    const text = this.records.get(executionArn);
    return Promise.resolve(text === undefined ? undefined : (JSON.parse(text) as ExecutionRecord));
  }
  history(executionArn: string): Promise<HistoryEvent[]> {
    return Promise.resolve([...(this.events.get(executionArn) ?? [])]);
  }
  list(filter: { stateMachineArn?: string; status?: ExecutionRecord['status'] } = {}): Promise<ExecutionRecord[]> {
    const out: ExecutionRecord[] = [];
    for (const text of this.records.values()) {
      const r = JSON.parse(text) as ExecutionRecord;
      if (filter.stateMachineArn && r.stateMachineArn !== filter.stateMachineArn) continue;
      if (filter.status && r.status !== filter.status) continue;
      out.push(r);
    }
    return Promise.resolve(out.sort((a, b) => b.startDate - a.startDate));
  }
}
