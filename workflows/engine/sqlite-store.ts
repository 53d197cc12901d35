/**
 * The durable ExecutionStore: one SQLite database (node:sqlite, built into
 * Node 22) in write-ahead-log mode with synchronous=FULL, so a committed
 * transaction survives SIGKILL and power loss alike.
 *
 * Group commit: save() queues the record and its new history events and
 * resolves only once they are committed. Everything queued during one turn of
 * the event loop — typically one step of each of many concurrent executions —
 * goes into a single transaction and a single WAL fsync. A step is therefore
 * atomic (record and events land together or not at all), and a transaction
 * torn by a crash fails SQLite's WAL checksums and is discarded on the next
 * open. Checkpointing the WAL into the database is SQLite's own compaction.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as sqlite from 'node:sqlite';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

type SqliteModule = typeof sqlite;
import type { ExecutionStore, StoredStateMachine } from './store.ts';
import type { ExecutionRecord, ExecutionStatus, HistoryEvent } from './types.ts';

const require = createRequire(import.meta.url);

/**
 * node:sqlite needs no flag on Node 22.13+ but announces itself with an
 * ExperimentalWarning on first load; that one warning is dropped, others pass.
 */
export function loadSqlite(): SqliteModule {
  const saved = Object.getOwnPropertyDescriptor(process, 'emitWarning');
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = (warning: string | Error, ...rest: unknown[]): void => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('SQLite is an experimental feature')) return;
    emit(warning, ...rest);
  };
  try {
    return require('node:sqlite') as SqliteModule;
  } finally {
    if (saved) Object.defineProperty(process, 'emitWarning', saved);
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS state_machines (
  arn TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  definition TEXT NOT NULL,
  role_arn TEXT,
  creation_date INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
  arn TEXT PRIMARY KEY,
  state_machine_arn TEXT NOT NULL,
  status TEXT NOT NULL,
  start_date INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (state_machine_arn, start_date);
CREATE TABLE IF NOT EXISTS events (
  execution_arn TEXT NOT NULL,
  id INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`;

interface PendingSave {
  arn: string;
  stateMachineArn: string;
  status: ExecutionStatus;
  startDate: number;
  record: string;
  events: HistoryEvent[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Row {
  [column: string]: unknown;
}

export interface SqliteStoreOptions {
  /** `FULL` (default) syncs the WAL at every commit; `NORMAL` survives a killed process but not a power cut. */
  synchronous?: 'FULL' | 'NORMAL';
}

export class SqliteStore implements ExecutionStore {
  private readonly db: DatabaseSync;
  private readonly stmt: Record<'putMachine' | 'getMachine' | 'listMachines' | 'putExecution' | 'getExecution' | 'putEvent' | 'history' | 'getMeta' | 'putMeta', StatementSync>;
  private queue: PendingSave[] = [];
  private flushScheduled = false;
  private closed = false;
  /** Transactions committed and steps saved, for the benchmark. */
  readonly stats = { commits: 0, saves: 0 };

  constructor(
    readonly file: string,
    options: SqliteStoreOptions = {},
  ) {
    mkdirSync(dirname(file), { recursive: true });
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(file);
    this.db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? 'FULL'}; PRAGMA busy_timeout = 5000;`);
    this.db.exec(SCHEMA);
    this.stmt = {
      putMachine: this.db.prepare('INSERT OR REPLACE INTO state_machines (arn, name, definition, role_arn, creation_date) VALUES (?, ?, ?, ?, ?)'),
      getMachine: this.db.prepare('SELECT arn, name, definition, role_arn, creation_date FROM state_machines WHERE arn = ?'),
      listMachines: this.db.prepare('SELECT arn, name, definition, role_arn, creation_date FROM state_machines ORDER BY creation_date, name'),
      putExecution: this.db.prepare('INSERT OR REPLACE INTO executions (arn, state_machine_arn, status, start_date, record) VALUES (?, ?, ?, ?, ?)'),
      getExecution: this.db.prepare('SELECT record FROM executions WHERE arn = ?'),
      putEvent: this.db.prepare('INSERT INTO events (execution_arn, id, event) VALUES (?, ?, ?)'),
      history: this.db.prepare('SELECT event FROM events WHERE execution_arn = ? ORDER BY id'),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
  }

  private machineOf(row: Row): StoredStateMachine {
    return {
      stateMachineArn: String(row.arn),
      name: String(row.name),
      definition: String(row.definition),
      ...(typeof row.role_arn === 'string' ? { roleArn: row.role_arn } : {}),
      creationDate: Number(row.creation_date),
    };
  }

  putStateMachine(sm: StoredStateMachine): Promise<void> {
    this.stmt.putMachine.run(sm.stateMachineArn, sm.name, sm.definition, sm.roleArn ?? null, sm.creationDate);
    return Promise.resolve();
  }

  getStateMachine(arn: string): Promise<StoredStateMachine | undefined> {
    const row = this.stmt.getMachine.get(arn) as Row | undefined;
    return Promise.resolve(row ? this.machineOf(row) : undefined);
  }

  listStateMachines(): Promise<StoredStateMachine[]> {
    return Promise.resolve((this.stmt.listMachines.all() as Row[]).map((r) => this.machineOf(r)));
  }

  save(record: ExecutionRecord, newEvents: HistoryEvent[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The execution store is closed'));
    // Serialised now: the engine goes on mutating the record once save() returns.
    const text = JSON.stringify(record);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ arn: record.executionArn, stateMachineArn: record.stateMachineArn, status: record.status, startDate: record.startDate, record: text, events: newEvents, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private write(item: PendingSave): void {
    this.stmt.putExecution.run(item.arn, item.stateMachineArn, item.status, item.startDate, item.record);
    for (const e of item.events) this.stmt.putEvent.run(item.arn, e.id, JSON.stringify(e));
  }

  private transaction(items: PendingSave[]): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const item of items) this.write(item);
      this.db.exec('COMMIT');
      this.stats.commits++;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  /** Commits everything queued in one transaction; if that fails, each save alone, so one bad step fails only itself. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      this.transaction(batch);
    } catch {
      for (const item of batch) {
        try {
          this.transaction([item]);
        } catch (err) {
          item.reject(err);
          continue;
        }
        this.stats.saves++;
        item.resolve();
      }
      return;
    }
    this.stats.saves += batch.length;
    for (const item of batch) item.resolve();
  }

  load(executionArn: string): Promise<ExecutionRecord | undefined> {
    const row = this.stmt.getExecution.get(executionArn) as Row | undefined;
    return Promise.resolve(row ? (JSON.parse(String(row.record)) as ExecutionRecord) : undefined);
  }

  history(executionArn: string): Promise<HistoryEvent[]> {
    const rows = this.stmt.history.all(executionArn) as Row[];
    return Promise.resolve(rows.map((r) => JSON.parse(String(r.event)) as HistoryEvent));
  }

  list(filter: { stateMachineArn?: string; status?: ExecutionRecord['status'] } = {}): Promise<ExecutionRecord[]> {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.stateMachineArn) {
      where.push('state_machine_arn = ?');
      args.push(filter.stateMachineArn);
    }
    if (filter.status) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const sql = `SELECT record FROM executions${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY start_date DESC, arn`;
    const rows = this.db.prepare(sql).all(...args) as Row[];
    return Promise.resolve(rows.map((r) => JSON.parse(String(r.record)) as ExecutionRecord));
  }

  getMeta(key: string): string | undefined {
    const row = this.stmt.getMeta.get(key) as Row | undefined;
    return row ? String(row.value) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.stmt.putMeta.run(key, value);
  }

  /** Commits what is queued and closes the database; later saves are refused. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.flush();
    this.closed = true;
    this.db.close();
    return Promise.resolve();
  }
}
