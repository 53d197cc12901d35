import { createInterface } from 'node:readline/promises';

/**
 * Everything a command touches outside itself: its output streams, its
 * environment, the terminal. The real process provides them in `accord`;
 * tests provide their own and run the same code in-process.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** The directory relative file names are read from. */
  cwd: string;
  /** Whether a person is at a terminal: questions are asked, progress bars drawn. */
  interactive: boolean;
  /** Asks a yes/no question on the terminal; only called when `interactive`. */
  confirm(question: string): Promise<boolean>;
  /** Reads one line (an API key) from the terminal or a pipe. */
  readLine(prompt: string): Promise<string>;
  /** The stream progress bars draw on, when interactive. */
  progressStream?: NodeJS.WritableStream;
}

/** The real process's streams and terminal. */
export function processIo(): CliIo {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  const ask = async (prompt: string) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) });
    try {
      return await rl.question(prompt);
    } finally {
      rl.close();
    }
  };
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    interactive,
    confirm: async (question) => /^y(es)?$/i.test((await ask(`${question} [y/N] `)).trim()),
    readLine: async (prompt) => (await ask(process.stdin.isTTY ? prompt : '')).trim(),
    progressStream: process.stderr,
  };
}
