import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BUCKETS, ENV, TABLE } from '../../infra/definitions.ts';
import {
  EmbeddedStackError,
  isProcessAlive,
  startEmbeddedServices,
  type EmbeddedServices,
  type S3EventRecordLike,
} from '../../local/embedded-services.ts';
import { provisionStorage } from '../../local/provision.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tempDirs: string[] = [];
const started: EmbeddedServices[] = [];

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'accord-embedded-test-'));
  tempDirs.push(dir);
  return dir;
}

async function start(options: Parameters<typeof startEmbeddedServices>[0]): Promise<EmbeddedServices> {
  const services = await startEmbeddedServices(options);
  started.push(services);
  return services;
}

afterAll(async () => {
  await Promise.allSettled(started.map((services) => services.stop()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

function clientsFor(services: EmbeddedServices): { dynamodb: DynamoDBClient; s3: S3Client } {
  const env = services.environment;
  const config = {
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
  };
  return {
    dynamodb: new DynamoDBClient({ ...config, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
    s3: new S3Client({ ...config, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true }),
  };
}

async function listenOnLoopback(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  return address.port;
}

/** Resolves with the connection error code, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.connect(port, host);
  });
}

async function expectGone(pid: number): Promise<void> {
  await vi.waitFor(() => expect(isProcessAlive(pid), `process ${pid} still runs`).toBe(false), { timeout: 10_000, interval: 50 });
}

describe('the stack started by the vitest globalSetup', () => {
  it('reaches forked test workers through process.env, and SDK clients without config use it', async () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ENDPOINT_URL_S3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env[ENV.tableName]).toBe(TABLE.localName);
    expect(process.env[ENV.uploadsBucket]).toBe(BUCKETS.uploads.localName);
    expect(process.env[ENV.resultsBucket]).toBe(BUCKETS.results.localName);

    // No endpoint, region or credentials given: the SDK reads AWS_ENDPOINT_URL_<SERVICE> and the rest from the environment.
    const dynamodb = new DynamoDBClient({});
    const s3 = new S3Client({ forcePathStyle: true });
    try {
      expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toContain(TABLE.localName);
      const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets?.map((bucket) => bucket.Name);
      expect(buckets).toEqual(expect.arrayContaining([BUCKETS.uploads.localName, BUCKETS.results.localName]));
    } finally {
      dynamodb.destroy();
      s3.destroy();
    }
  });
  it('deletes many keys of one folder in one DeleteObjects, again and again (s3rver’s folder clean-up races with itself)', async () => {
    // No retry: the SDK would retry a 500 and hide it.
    const s3 = new S3Client({ forcePathStyle: true, maxAttempts: 1 });
    const bucket = process.env[ENV.resultsBucket];
    try {
      for (let round = 0; round < 5; round += 1) {
        const prefix = `cleanup-race/${round}/run/`;
        const keys = Array.from({ length: 20 }, (_, index) => `${prefix}object-${index}.jsonl`);
        await Promise.all(keys.map((Key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}' }))));
        const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
        expect(deleted.Errors ?? []).toEqual([]);
        expect((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).KeyCount).toBe(0);
      }
    } finally {
      s3.destroy();
    }
  });
});

describe('startEmbeddedServices', () => {
  it('keeps items and objects across a stop and a start on the same data folder, and reports uploads', async () => {
    const dataDir = await freshDataDir();
    const events: S3EventRecordLike[] = [];
    const first = await start({ dataDir, onObjectCreated: (record) => void events.push(record) });
    const firstReport = await provisionStorage(first);
    expect(firstReport).toEqual({
      createdTable: true,
      createdIndexes: [],
      enabledTimeToLive: true,
      createdBuckets: [BUCKETS.uploads.localName, BUCKETS.results.localName],
    });

    const { dynamodb, s3 } = clientsFor(first);
    await dynamodb.send(
      new PutItemCommand({ TableName: TABLE.localName, Item: { pk: { S: 'AGREEMENT#1' }, sk: { S: 'META' }, status: { S: 'proposed' } } }),
    );
    await s3.send(new PutObjectCommand({ Bucket: BUCKETS.uploads.localName, Key: 'runs/r1/acme accounts.csv', Body: 'domain\nacme.com\n' }));
    dynamodb.destroy();
    s3.destroy();

    await vi.waitFor(() => expect(events).toHaveLength(1));
    expect(events[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: {
        bucket: { name: BUCKETS.uploads.localName, arn: `arn:aws:s3:::${BUCKETS.uploads.localName}` },
        // URL-encoded as S3 sends it: a handler decodes it the same way on both engines.
        object: { key: 'runs/r1/acme+accounts.csv', size: Buffer.byteLength('domain\nacme.com\n') },
      },
    });

    await first.stop();
    await expectGone(first.dynamodb.pid);
    await first.stop(); // idempotent

    const second = await start({ dataDir });
    expect(await provisionStorage(second)).toEqual({ createdTable: false, createdIndexes: [], enabledTimeToLive: false, createdBuckets: [] });
    const again = clientsFor(second);
    const item = await again.dynamodb.send(
      new GetItemCommand({ TableName: TABLE.localName, Key: { pk: { S: 'AGREEMENT#1' }, sk: { S: 'META' } } }),
    );
    expect(item.Item?.status).toEqual({ S: 'proposed' });
    const object = await again.s3.send(new GetObjectCommand({ Bucket: BUCKETS.uploads.localName, Key: 'runs/r1/acme accounts.csv' }));
    expect(await object.Body?.transformToString()).toBe('domain\nacme.com\n');
    again.dynamodb.destroy();
    again.s3.destroy();
    await second.stop();
    await expectGone(second.dynamodb.pid);
  });

  it('runs two instances side by side on different folders, each on loopback only', async () => {
    const [a, b] = await Promise.all([start({ dataDir: await freshDataDir() }), start({ dataDir: await freshDataDir() })]);
    // One stack per folder: a second one would share DynamoDB Local's SQLite file.
    await expect(startEmbeddedServices({ dataDir: a.dataDir })).rejects.toThrow(/already used by a stack of this process/);
    const ports = [a.dynamodb.port, a.s3.port, b.dynamodb.port, b.s3.port];
    expect(new Set(ports).size).toBe(4);

    await Promise.all([provisionStorage(a), provisionStorage(b)]);
    const clientsA = clientsFor(a);
    const clientsB = clientsFor(b);
    await clientsA.dynamodb.send(new PutItemCommand({ TableName: TABLE.localName, Item: { pk: { S: 'only-a' }, sk: { S: 'x' } } }));
    const inB = await clientsB.dynamodb.send(new GetItemCommand({ TableName: TABLE.localName, Key: { pk: { S: 'only-a' }, sk: { S: 'x' } } }));
    expect(inB.Item).toBeUndefined();
    for (const clients of [clientsA, clientsB]) {
      clients.dynamodb.destroy();
      clients.s3.destroy();
    }

    // Reachable on 127.0.0.1, refused on every other address of this machine.
    const otherAddresses = Object.values(networkInterfaces())
      .flat()
      .filter((info) => info !== undefined && !info.internal && info.family === 'IPv4')
      .map((info) => info?.address ?? '');
    for (const port of ports) {
      expect(await tryConnect('127.0.0.1', port)).toBe('connected');
      for (const address of otherAddresses) expect(await tryConnect(address, port), `${address}:${port}`).toBe('ECONNREFUSED');
    }

    if (process.platform === 'linux' && existsSync('/usr/bin/ss')) {
      const listening = execFileSync('ss', ['-ltnH'], { encoding: 'utf8' }).split('\n');
      for (const port of ports) {
        const local = listening.map((line) => line.trim().split(/\s+/)[3] ?? '').filter((address) => address.endsWith(`:${port}`));
        expect(local, `listeners on port ${port}`).toEqual([`127.0.0.1:${port}`]);
      }
    }

    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([expectGone(a.dynamodb.pid), expectGone(b.dynamodb.pid)]);
  });

  it('leaves no Java process behind when the Node process that started it is killed with SIGKILL', async () => {
    const dataDir = await freshDataDir();
    const script = join(dataDir, 'start-and-hang.mts');
    const moduleUrl = pathToFileURL(join(repoRoot, 'local', 'embedded-services.ts')).href;
    await writeFile(
      script,
      [
        `import { startEmbeddedServices } from ${JSON.stringify(moduleUrl)};`,
        `const services = await startEmbeddedServices({ dataDir: ${JSON.stringify(join(dataDir, 'data'))} });`,
        `console.log(JSON.stringify({ pid: process.pid, javaPid: services.dynamodb.pid }));`,
        `setInterval(() => undefined, 60_000);`,
      ].join('\n'),
    );
    const child = spawn(join(repoRoot, 'node_modules', '.bin', 'tsx'), [script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let javaPid = 0;
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
          const newline = output.indexOf('\n');
          if (newline >= 0) resolve(output.slice(0, newline));
        });
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before starting the services`)));
      });
      const reported = JSON.parse(line) as { pid: number; javaPid: number };
      javaPid = reported.javaPid;
      expect(isProcessAlive(javaPid)).toBe(true);

      process.kill(reported.pid, 'SIGKILL');
      await expectGone(reported.pid);
      await expectGone(javaPid);
    } finally {
      child.kill('SIGKILL');
      if (javaPid && isProcessAlive(javaPid)) process.kill(javaPid, 'SIGKILL');
    }
  });

  it('refuses a requested port that is busy, with a one-line EmbeddedStackError', async () => {
    const busy = await listenOnLoopback();
    try {
      const port = portOf(busy);
      for (const options of [{ dynamodbPort: port }, { s3Port: port }]) {
        const attempt = startEmbeddedServices({ dataDir: await freshDataDir(), ...options });
        await expect(attempt).rejects.toBeInstanceOf(EmbeddedStackError);
        const message = await attempt.then(
          () => '',
          (error: Error) => error.message,
        );
        expect(message).toContain(`Port ${port}`);
        expect(message).toContain('already in use');
        expect(message).not.toContain('\n');
      }
    } finally {
      busy.close();
    }
  });

  it('says Java is needed when java is not on the PATH', async () => {
    const emptyBin = await freshDataDir();
    const path = process.env.PATH;
    process.env.PATH = emptyBin;
    try {
      const attempt = startEmbeddedServices({ dataDir: await freshDataDir() });
      await expect(attempt).rejects.toBeInstanceOf(EmbeddedStackError);
      await expect(attempt).rejects.toThrow(/^DynamoDB Local needs Java 17: install a JDK \(apt-get install openjdk-17-jdk-headless\) and try again$/);
    } finally {
      process.env.PATH = path;
    }
  });
});
