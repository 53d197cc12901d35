#!/usr/bin/env node
// The `accord` command: loads the TypeScript CLI through tsx (a dependency of
// this checkout) and runs it with the process's arguments and streams.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('./main.ts');
const { processIo } = await import('./io.ts');
process.exitCode = await runCli(process.argv.slice(2), processIo());
