import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { CliIo } from '../../cli/io.ts';
import { runCli } from '../../cli/main.ts';
import type { ApiClient } from '../support/api-client.ts';

/**
 * Runs `accord` command lines against the test API: in-process through
 * `runCli` (the code path of the bin, with its own streams and environment),
 * or as a real child process of the bin for end-to-end checks. Each harness
 * has its own config file in a temporary folder.
 */

export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');
export const EXAMPLES = join(PROJECT_ROOT, 'cli/examples');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Pretend a person is at a terminal who answers each question with these, in order. */
  answers?: boolean[];
  /** The text read by `profile add` (a key). */
  input?: string;
  cwd?: string;
  /** A terminal stream to draw progress bars on (implies a person at a terminal). */
  progress?: NodeJS.WritableStream;
}

export interface CliHarness {
  /** The folder of this harness's config file (`config.json`) and scratch files. */
  readonly dir: string;
  readonly configPath: string;
  /** Runs one command line in-process. */
  run(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  /** Runs the `accord` bin as a child process (Node 22 from node_modules, as `npx accord` does). */
  spawn(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  /** The questions asked on the pretend terminal. */
  readonly questions: string[];
}

export function useCli(api: ApiClient): CliHarness {
  let dir = '';
  const questions: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'accord-cli-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const environment = (options: RunOptions) => ({
    ACCORD_CONFIG: join(dir, 'config.json'),
    ACCORD_ENDPOINT: api.baseUrl,
    ACCORD_POLL_MS: '100',
    HOME: dir,
    ...options.env,
  });
  return {
    get dir() {
      return dir;
    },
    get configPath() {
      return join(dir, 'config.json');
    },
    questions,
    async run(args, options = {}) {
      let stdout = '';
      let stderr = '';
      const answers = [...(options.answers ?? [])];
      const io: CliIo = {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        env: environment(options),
        cwd: options.cwd ?? PROJECT_ROOT,
        interactive: options.answers !== undefined || options.progress !== undefined,
        ...(options.progress ? { progressStream: options.progress } : {}),
        confirm: (question) => {
          questions.push(question);
          const answer = answers.shift();
          if (answer === undefined) throw new Error(`unexpected question: ${question}`);
          return Promise.resolve(answer);
        },
        readLine: () => Promise.resolve(options.input ?? ''),
      };
      const code = await runCli(args, io);
      return { code, stdout, stderr };
    },
    spawn(args, options = {}) {
      return new Promise((done, fail) => {
        const child = spawn(join(PROJECT_ROOT, 'node_modules/.bin/node'), [join(PROJECT_ROOT, 'cli/accord.js'), ...args], {
          cwd: options.cwd ?? PROJECT_ROOT,
          env: { PATH: process.env.PATH, ...environment(options) },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', fail);
        child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
        child.stdin.end(options.input ?? '');
      });
    },
  };
}

/** The id in a --quiet answer. */
export function idOf(run: CliRun): string {
  const id = run.stdout.trim();
  if (run.code !== 0 || !/^[a-z]{3}_[0-9a-z]{20}$/.test(id)) throw new Error(`expected an id, got code ${run.code}: ${run.stdout}${run.stderr}`);
  return id;
}

/** A one-line explanation on stderr: exactly one line, starting "accord: ", without a stack trace. */
export function isOneLineError(run: CliRun): boolean {
  const lines = run.stderr.split('\n').filter(Boolean);
  return lines.length === 1 && lines[0]!.startsWith('accord: ') && !/\n\s+at /.test(run.stderr);
}
