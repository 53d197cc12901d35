import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, uniqueSignUp } from '../support/api-client.ts';

/**
 * `npm start` as a user runs it: a real process with its own DynamoDB Local
 * and s3rver, stopped with Ctrl-C (SIGINT) and started again on the same data.
 */

const root = join(import.meta.dirname, '..', '..');

interface Started {
  child: ChildProcess;
  output: () => string;
  url: string;
  javaPid: number | undefined;
}

function startCommand(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function javaChildOf(pid: number): number | undefined {
  // /proc lists the children of each thread of a process.
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children.split(/\s+/).filter(Boolean)) {
        if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('java')) return Number(child);
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function start(dataDir: string): Promise<Started> {
  const child = startCommand(['--port', '0', '--data', dataDir, '--quiet']);
  const output = collect(child);
  const url = await waitFor('the API line', () => {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output()}`);
    return /API\s+(http:\/\/\S+)/.exec(output())?.[1];
  });
  return { child, output, url, javaPid: child.pid ? javaChildOf(child.pid) : undefined };
}

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'accord-start-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('serves the API, stops cleanly on Ctrl-C, and finds its data on the next start', async () => {
    const first = await start(dataDir);
    expect(first.output()).toContain('DynamoDB Local  http://127.0.0.1:');
    expect(first.output()).toContain(`data folder     ${dataDir}`);
    const api = new ApiClient(first.url);
    const signUp = await api.call<{ apiKey: string; partner: { id: string } }>('POST', '/v1/partners', { body: uniqueSignUp('Persisted') });
    expect(signUp.status).toBe(201);

    expect(first.javaPid).toBeDefined();
    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(0);
    expect(first.output()).toContain('stopped.');
    expect(isRunning(first.javaPid ?? -1)).toBe(false);

    const second = await start(dataDir);
    expect(second.output()).toContain('(existing data)');
    const me = await new ApiClient(second.url).call<{ id: string }>('GET', '/v1/partners/me', { key: signUp.body.apiKey });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(signUp.body.partner.id);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(isRunning(second.javaPid ?? -1)).toBe(false);
  }, 120_000); // two whole starts and stops, each synthesising the CDK stack: past vitest's 30 s on a busy machine

  it('says in one line what to do when the port is busy', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const child = startCommand(['--port', String(port), '--data', join(dataDir, 'busy')]);
      const output = collect(child);
      expect(await exited(child)).toBe(1);
      expect(output().trim()).toBe(`accord: port ${port} is already in use: stop what listens there or start with --port N (e.g. npm start -- --port ${port + 1})`);
    } finally {
      blocker.close();
    }
  });

  it('says in one line what to do when java is missing', async () => {
    const child = startCommand(['--port', '0', '--data', join(dataDir, 'nojava')], { ...process.env, PATH: '/nonexistent' });
    const output = collect(child);
    expect(await exited(child)).toBe(1);
    const lines = output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^accord: .*Java 17.*install/i);
  });

  it('refuses an unknown option with a one-line message', async () => {
    const child = startCommand(['--prot', '3000']);
    const output = collect(child);
    expect(await exited(child)).toBe(1);
    expect(output().trim()).toMatch(/^accord: Unknown option '--prot'/);
  });
});
