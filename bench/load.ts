/**
 * API load: Accord's embedded stack started as `npm start` starts it, in a
 * child process (its own data folder, a free port), and this process as the
 * clients, over loopback. 200 concurrent clients drive many partners and
 * agreements at once — each client proposes to its partner, the partner
 * reads and counter-proposes, both approve (which starts the engagement's
 * workflow in the stack), and both read lists, the agreement and its audit —
 * until a number of requests or a time is reached. Reported: throughput, and
 * p50/p99 latency per route; errors (any answer other than the expected one);
 * and, read back afterwards, whether every agreement made is still there,
 * listed for both parties, with an audit chain that verifies.
 *
 *   npx tsx bench/load.ts [--clients 200] [--requests 30000] [--seconds 60] [--cpu-prof DIR]
 *
 * Also printed: the CPU time the stack's processes (Node, DynamoDB Local's Java)
 * spent per timed request, read from /proc (Linux). --cpu-prof DIR writes a V8
 * CPU profile of the stack's process into DIR when it stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface LoadOptions {
  clients: number;
  /** Stop starting new iterations after this many requests… */
  requests: number;
  /** …or after this many seconds, whichever comes first. */
  seconds: number;
  /** A folder for a V8 CPU profile of the stack's process (node --cpu-prof), written when it stops. */
  cpuProfileDir?: string;
}

export const DEFAULT_LOAD: LoadOptions = { clients: 200, requests: 30_000, seconds: 60 };

const PROJECT_ROOT = resolve(import.meta.dirname, '..');
const GUARD_MS = 10 * 60_000;

interface Sample {
  route: string;
  kind: 'read' | 'write';
  ms: number;
}

interface Company {
  id: string;
  admin: string;
  approver: string;
}

class Recorder {
  readonly samples: Sample[] = [];
  readonly errors: string[] = [];

  async call<T>(base: string, method: string, path: string, route: string, expected: number, key?: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (key) headers.authorization = `Bearer ${key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    let status = 0;
    let text = '';
    try {
      const response = await fetch(base + path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      text = (error as Error).message;
    }
    this.samples.push({ route: `${method} ${route}`, kind: method === 'GET' ? 'read' : 'write', ms: performance.now() - started });
    if (status !== expected) {
      this.errors.push(`${method} ${path}: ${status || 'no answer'} ${text.slice(0, 160)}`);
      throw new Error(`unexpected ${status}`);
    }
    return JSON.parse(text) as T;
  }
}

/** Starts `local/start.ts` as `npm start` does, in a child process; answers its API URL. */
async function startStack(dataDir: string, cpuProfileDir: string | undefined): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  const profile = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfileDir)] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(PROJECT_ROOT, 'local/start.ts'), '--port', '0', '--data', dataDir, '--quiet'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the stack did not start within 120 s:\n${output}`)), 120_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /API\s+(http:\/\/\S+)/.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        done(found[1]);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => fail(new Error(`the stack exited (${code}) before it started:\n${output}`)));
  });
  return { child, url, log: () => output };
}

async function stopStack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/**
 * CPU time (user + system, ms) of a process and of each of its descendants by
 * command name, from /proc (Linux); undefined elsewhere. The stack's process is
 * `node`, DynamoDB Local its `java` child.
 */
function cpuOfTree(root: number): Map<string, number> | undefined {
  const procs = new Map<number, { ppid: number; name: string; ms: number }>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ticks = Number(fields[11]) + Number(fields[12]);
        procs.set(Number(entry), { ppid: Number(fields[1]), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: ticks * 10 });
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    return undefined;
  }
  if (!procs.has(root)) return undefined;
  const totals = new Map<string, number>();
  const visit = (pid: number) => {
    const proc = procs.get(pid);
    if (!proc) return;
    totals.set(proc.name, (totals.get(proc.name) ?? 0) + proc.ms);
    for (const [child, info] of procs) if (info.ppid === pid) visit(child);
  };
  visit(root);
  return totals;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

export interface LoadReport {
  requests: number;
  seconds: number;
  throughput: number;
  errors: string[];
  routes: { route: string; kind: 'read' | 'write'; count: number; p50: number; p99: number }[];
  p99: { read: number; write: number };
  agreements: number;
  lost: string[];
  /** CPU milliseconds per timed request of the stack's processes (Linux only), by command name. */
  cpuPerRequest?: Record<string, number>;
}

export async function runLoadBench(options: LoadOptions = DEFAULT_LOAD): Promise<LoadReport> {
  const guard = setTimeout(() => {
    console.error(`load bench: aborted after ${GUARD_MS / 1000} s`);
    process.exit(1);
  }, GUARD_MS);
  const dataDir = mkdtempSync(join(tmpdir(), 'accord-load-'));
  const { child, url, log } = await startStack(dataDir, options.cpuProfileDir);
  const recorder = new Recorder();
  const made: { agreementId: string; proposer: Company; counterparty: Company }[] = [];
  try {
    // Set-up, measured too: every client's two companies, each with an approver key.
    const signUp = async (name: string): Promise<Company> => {
      const domain = `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.com`;
      const created = await recorder.call<{ partner: { id: string }; apiKey: string }>(url, 'POST', '/v1/partners', '/v1/partners', 201, undefined, {
        name,
        domain,
        contactEmail: `partners@${domain}`,
      });
      const approver = await recorder.call<{ apiKey: string }>(url, 'POST', '/v1/partners/me/keys', '/v1/partners/me/keys', 201, created.apiKey, { role: 'approver', label: 'legal' });
      return { id: created.partner.id, admin: created.apiKey, approver: approver.apiKey };
    };
    const pairs: [Company, Company][] = [];
    try {
      await pool(
        Array.from({ length: options.clients }, (_, n) => n),
        options.clients,
        async (n) => {
          pairs[n] = [await signUp(`proposer${n}`), await signUp(`counterparty${n}`)];
        },
      );
    } catch (error) {
      throw new Error(`the set-up failed: ${recorder.errors.slice(0, 3).join(' | ')}\nthe stack's output:\n${log().slice(-4000)}`, { cause: error });
    }

    // The timed part: every client runs engagements with its partner until the budget is spent
    // (after one engagement per client as a warm-up: handler modules load on their first request).
    let setUp = Number.POSITIVE_INFINITY;
    let started = 0;
    let deadline = 0;
    const budget = () => recorder.samples.length - setUp < options.requests && performance.now() < deadline;
    const engage = async ([a, b]: [Company, Company], once: boolean) => {
      do {
        try {
          const proposed = await recorder.call<{ id: string }>(url, 'POST', '/v1/agreements', '/v1/agreements', 201, a.approver, { counterpartyId: b.id, terms: {} });
          made.push({ agreementId: proposed.id, proposer: a, counterparty: b });
          const at = `/v1/agreements/${proposed.id}`;
          await recorder.call(url, 'GET', at, '/v1/agreements/{agreementId}', 200, b.admin);
          const countered = await recorder.call<{ terms: { hash: string } }>(url, 'POST', `${at}/counter-proposals`, '/v1/agreements/{agreementId}/counter-proposals', 200, b.approver, {
            basedOnVersion: 1,
            terms: { purpose: 'Shared customers, under load.' },
          });
          for (const party of [a, b]) {
            await recorder.call(url, 'POST', `${at}/approvals`, '/v1/agreements/{agreementId}/approvals', 200, party.approver, { termsHash: countered.terms.hash });
          }
          await recorder.call(url, 'GET', `${at}/audit`, '/v1/agreements/{agreementId}/audit', 200, a.admin);
          await recorder.call(url, 'GET', '/v1/agreements?status=awaiting_contributions', '/v1/agreements', 200, b.admin);
          await recorder.call(url, 'GET', '/v1/partners/me', '/v1/partners/me', 200, a.approver);
        } catch {
          // Counted as an error by the recorder; the client goes on.
        }
      } while (!once && budget());
    };
    await pool(pairs, options.clients, (pair) => engage(pair, true));
    setUp = recorder.samples.length;
    const cpuBefore = child.pid === undefined ? undefined : cpuOfTree(child.pid);
    started = performance.now();
    deadline = started + options.seconds * 1000;
    await Promise.all(pairs.map((pair) => engage(pair, false)));
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = child.pid === undefined ? undefined : cpuOfTree(child.pid);
    const timedSamples = recorder.samples.slice(setUp);
    const timed = timedSamples.length;
    const cpuPerRequest =
      cpuBefore && cpuAfter ? Object.fromEntries([...cpuAfter].map(([name, ms]) => [name, (ms - (cpuBefore.get(name) ?? 0)) / timed])) : undefined;

    // Nothing lost: every agreement is listed for both parties, and its audit chain verifies.
    const lost: string[] = [];
    const listed = new Map<string, Set<string>>();
    const companies = pairs.flat();
    await pool(companies, 20, async (company) => {
      const answer = await fetch(`${url}/v1/agreements`, { headers: { authorization: `Bearer ${company.admin}` } });
      const body = (await answer.json()) as { agreements: { id: string }[] };
      listed.set(company.id, new Set(body.agreements.map((agreement) => agreement.id)));
    });
    await pool(made, 20, async ({ agreementId, proposer, counterparty }) => {
      for (const party of [proposer, counterparty]) if (!listed.get(party.id)?.has(agreementId)) lost.push(`${agreementId} not listed for ${party.id}`);
      const answer = await fetch(`${url}/v1/agreements/${agreementId}/audit`, { headers: { authorization: `Bearer ${proposer.admin}` } });
      const audit = (await answer.json()) as { events?: unknown[]; verification?: { ok: boolean } };
      if (!audit.verification?.ok) lost.push(`${agreementId}: audit does not verify`);
    });

    const byRoute = new Map<string, Sample[]>();
    for (const sample of timedSamples) {
      const list = byRoute.get(sample.route) ?? [];
      list.push(sample);
      byRoute.set(sample.route, list);
    }
    const routes = [...byRoute].map(([route, samples]) => {
      const sorted = samples.map((s) => s.ms).sort((x, y) => x - y);
      return { route, kind: samples[0]?.kind ?? 'read', count: samples.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    });
    const of = (kind: 'read' | 'write') =>
      percentile(
        timedSamples.filter((s) => s.kind === kind).map((s) => s.ms).sort((x, y) => x - y),
        99,
      );
    if (recorder.errors.length > 0) console.error(`the stack's output:\n${log().slice(-4000)}`);
    return { requests: timed, seconds, throughput: timed / seconds, errors: recorder.errors, routes, p99: { read: of('read'), write: of('write') }, agreements: made.length, lost, ...(cpuPerRequest ? { cpuPerRequest } : {}) };
  } finally {
    await stopStack(child);
    rmSync(dataDir, { recursive: true, force: true });
    clearTimeout(guard);
  }
}

export function printLoadReport(report: LoadReport, options: LoadOptions): void {
  console.log(`API load: ${options.clients} concurrent clients over loopback against the embedded stack (npm start) in a child process`);
  console.log(`  requests            ${report.requests} in ${report.seconds.toFixed(1)} s (bounds: ${options.requests} requests, ${options.seconds} s; the set-up's sign-ups not counted)`);
  console.log(`  throughput          ${report.throughput.toFixed(0)} requests/s`);
  console.log(`  p99 reads / writes  ${report.p99.read.toFixed(0)} ms / ${report.p99.write.toFixed(0)} ms (aim: < 50 ms / < 100 ms)`);
  if (report.cpuPerRequest) {
    const parts = Object.entries(report.cpuPerRequest).filter(([, ms]) => ms >= 0.05).map(([name, ms]) => `${name} ${ms.toFixed(1)}`);
    const total = Object.values(report.cpuPerRequest).reduce((sum, ms) => sum + ms, 0);
    console.log(`  stack CPU / request ${total.toFixed(1)} ms (${parts.join(', ')}; the timed part)`);
  }
  console.log(`  errors              ${report.errors.length}${report.errors.length ? `: ${report.errors.slice(0, 5).join(' | ')}` : ''}`);
  console.log(`  agreements made     ${report.agreements}; lost or not verifying afterwards: ${report.lost.length}${report.lost.length ? ` (${report.lost.slice(0, 5).join('; ')})` : ''}`);
  const width = Math.max(...report.routes.map((r) => r.route.length));
  for (const r of report.routes.sort((x, y) => x.route.localeCompare(y.route))) {
    console.log(`  ${r.route.padEnd(width)}  ${r.kind.padEnd(5)}  n=${String(r.count).padStart(6)}  p50 ${r.p50.toFixed(1).padStart(7)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { clients: { type: 'string' }, requests: { type: 'string' }, seconds: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
  const options: LoadOptions = {
    clients: Number(values.clients ?? DEFAULT_LOAD.clients),
    requests: Number(values.requests ?? DEFAULT_LOAD.requests),
    seconds: Number(values.seconds ?? DEFAULT_LOAD.seconds),
    ...(values['cpu-prof'] ? { cpuProfileDir: values['cpu-prof'] } : {}),
  };
  runLoadBench(options)
    .then((report) => {
      printLoadReport(report, options);
      if (report.errors.length > 0 || report.lost.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      console.error('load bench:', error);
      process.exit(1);
    });
}
