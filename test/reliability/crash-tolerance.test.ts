import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixQuery, queryAll } from '../../functions/store/query-all.ts';
import { keys } from '../../functions/store/table-keys.ts';
import { TABLE } from '../../infra/definitions.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type RunningDynamoDB } from '../../local/embedded-services.ts';
import type { CrashWhen } from './crash/accord-process.ts';
import { type Engagement, type Partner, runEngagement, signUp } from './crash/engagement.ts';
import { AccordProcess, RetryingClient, startStores, WebhookReceiver } from './crash/harness.ts';

/*
 * Crash tolerance: whole engagements on the embedded stack, with Accord (API,
 * local Step Functions runtime, task handlers, S3 notifications, dispatcher)
 * in a child process that is killed with SIGKILL at a seeded, different
 * persisted write in every trial — before the write is sent, while it is in
 * flight, or right after its answer — and restarted on the same data folder.
 * DynamoDB Local keeps running in this process; s3rver and the workflow
 * runtime die with Accord and restart from their files. The client retries a
 * lost answer with the same Idempotency-Key once Accord is back.
 *
 * After each trial: the agreement is released, its audit chain verifies and
 * holds the same events as an engagement that never crashed, the referral
 * is won once and the ledger holds exactly its two entries, and every
 * notification the outbox holds reached the partner's webhook, with the same
 * kinds as the uncrashed engagement (repeats only under the same event id).
 *
 * CI=true runs 10 trials; otherwise 50 (ACCORD_CRASH_TRIALS and
 * ACCORD_CRASH_SEED override both).
 */

const TRIALS = Number(process.env.ACCORD_CRASH_TRIALS) || (process.env.CI === 'true' ? 10 : 50);
const SEED = Number(process.env.ACCORD_CRASH_SEED ?? 8);
const WHEN: readonly CrashWhen[] = ['before', 'during', 'after'];
/** Past the dispatcher's claim lease (300 s): a round then takes over what a killed round had claimed. */
const LATER_TICK_MS = 6 * 60_000;

interface AuditView {
  events: { type: string }[];
  verification: { ok: boolean };
}
interface LedgerView {
  entries: { referralId: string; kind: string; amountMinor: number; currency: string }[];
  balances: { amountMinor: number }[];
}
interface Observed {
  status: string;
  audit: string[];
  ledger: [string, number][];
  referrals: string[];
  notifications: { proposer: string[]; counterparty: string[] };
}

let dataDir: string;
let dynamodb: RunningDynamoDB;
let documents: DynamoDBDocumentClient;
let accord: AccordProcess;
let receiver: WebhookReceiver;
let client: RetryingClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'accord-crash-'));
  const stores = await startStores(dataDir);
  dynamodb = stores.dynamodb;
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: stores.endpoint }));
  receiver = await WebhookReceiver.start();
  accord = await AccordProcess.start(dataDir, stores.endpoint, stores.templatePath);
  client = new RetryingClient(accord);
}, 300_000);

afterAll(async () => {
  await accord?.stop();
  await receiver?.close();
  documents?.destroy();
  await dynamodb?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The outbox items of a partner: every notification Accord decided to send it. */
async function outboxOf(partnerId: string): Promise<{ id: string; type: string; agreementId?: string; due: boolean }[]> {
  const items = await queryAll(documents, prefixQuery(TABLE.localName, keys.outboxPrefixOfPartner(partnerId)));
  return items.map((item) => ({ id: String(item.id), type: String(item.type), ...(typeof item.agreementId === 'string' ? { agreementId: item.agreementId } : {}), due: item.gsi1pk !== undefined }));
}

/**
 * Waits until every notification of both partners is delivered (later dispatcher ticks take over what a
 * killed round had claimed), checks each reached the webhook, and answers the kinds for the agreement, sorted.
 */
async function notificationsOf(engagement: Engagement, proposer: Partner, counterparty: Partner): Promise<Observed['notifications']> {
  const kinds = async (partner: Partner) =>
    client.until(`the notifications of ${partner.id} to be delivered`, async () => {
      const outbox = await outboxOf(partner.id);
      if (outbox.some((item) => item.due)) {
        await accord.dispatchAt(new Date(Date.now() + LATER_TICK_MS));
        return undefined;
      }
      const received = new Set(receiver.deliveries.filter((delivery) => delivery.partnerId === partner.id).map((delivery) => delivery.id));
      const lost = outbox.filter((item) => !received.has(item.id));
      expect(lost, 'notifications the outbox delivered but the webhook never received').toEqual([]);
      return outbox.filter((item) => item.agreementId === engagement.agreementId).map((item) => item.type).sort();
    });
  return { proposer: await kinds(proposer), counterparty: await kinds(counterparty) };
}

async function observe(engagement: Engagement, proposer: Partner, counterparty: Partner): Promise<Observed> {
  const at = `/v1/agreements/${engagement.agreementId}`;
  const agreement = await client.call<{ status: string }>('GET', at, counterparty.key);
  const audits = await Promise.all([proposer, counterparty].map((party) => client.call<AuditView>('GET', `${at}/audit`, party.key)));
  for (const audit of audits) expect(audit.body.verification, 'the audit chain verifies').toEqual({ ok: true });
  expect(audits[0]?.body).toEqual(audits[1]?.body);
  const ledgers = await Promise.all([proposer, counterparty].map((party) => client.call<LedgerView>('GET', `${at}/ledger`, party.key)));
  expect(ledgers[0]?.body).toEqual(ledgers[1]?.body);
  for (const entry of ledgers[0]?.body.entries ?? []) expect(entry.referralId).toBe(engagement.referralId);
  const referrals = await client.call<{ referrals: { id: string; stage: string }[] }>('GET', `${at}/referrals`, proposer.key);
  // Every agreement either party has — including one a retried proposal may have left — is in a known state with a chain that verifies.
  const listed = await client.call<{ agreements: { id: string; status: string }[] }>('GET', '/v1/agreements', proposer.key);
  for (const other of listed.body.agreements) {
    const audit = await client.call<AuditView>('GET', `/v1/agreements/${other.id}/audit`, proposer.key);
    expect(audit.body.verification, `the audit chain of ${other.id} verifies`).toEqual({ ok: true });
    expect(['proposed', 'released']).toContain(other.status);
  }
  return {
    status: agreement.body.status,
    audit: (audits[0]?.body.events ?? []).map((event) => event.type),
    ledger: (ledgers[0]?.body.entries ?? []).map((entry) => [entry.kind, entry.amountMinor]),
    referrals: referrals.body.referrals.map((referral) => referral.stage),
    notifications: await notificationsOf(engagement, proposer, counterparty),
  };
}

async function partners(trial: number): Promise<[Partner, Partner]> {
  return [await signUp(client, `Acme${trial}`, receiver.url), await signUp(client, `Globex${trial}`, receiver.url)];
}

describe('crash tolerance', () => {
  it(`${TRIALS} engagements, each killed with SIGKILL at a different persisted write, end valid with nothing lost or doubled`, { timeout: TRIALS * 120_000 + 300_000 }, async () => {
    // An engagement that never crashes: what every crashed one must end as, and how many writes it takes.
    const [acme, globex] = await partners(0);
    const before = await accord.writes();
    const calm = await runEngagement(client, acme, globex);
    const writes = (await accord.writes()) - before;
    const expected = await observe(calm, acme, globex);
    expect(expected.status).toBe('released');
    expect(expected.referrals).toEqual(['won']);
    expect(expected.ledger).toEqual([
      ['referral_fee', 20_000],
      ['revenue_share', 10_000],
    ]);
    expect(expected.notifications.proposer).toContain('referral.won');
    expect(writes).toBeGreaterThan(TRIALS);

    // A different write for each trial (seeded), and where in that write the process dies.
    const plan = fc.sample(
      fc.uniqueArray(fc.record({ write: fc.integer({ min: 1, max: Math.floor(writes * 0.9) }), when: fc.constantFrom(...WHEN) }), {
        minLength: TRIALS,
        maxLength: TRIALS,
        selector: (step) => step.write,
      }),
      { seed: SEED, numRuns: 1 },
    )[0];
    if (!plan) throw new Error('no plan');

    const started = performance.now();
    const report: string[] = [];
    for (const [index, step] of plan.entries()) {
      const trial = index + 1;
      const [proposer, counterparty] = await partners(trial);
      const crashesBefore = accord.crashes.length;
      accord.arm(step.write, step.when);
      const engagement = await runEngagement(client, proposer, counterparty);
      const crashed = accord.crashes.length > crashesBefore;
      if (!crashed) accord.disarm();
      const observed = await observe(engagement, proposer, counterparty);
      const crash = accord.crashes.at(-1);
      report.push(`trial ${trial}: write ${step.write} ${step.when}: ${crashed && crash ? `killed at ${crash.write}, restarted in ${crash.restartMs} ms (${crash.resumed} execution(s) resumed, ${crash.redelivered} upload(s) delivered again)` : 'not reached'}`);
      expect(observed, `trial ${trial} (write ${step.write}, ${step.when})`).toEqual(expected);
    }
    const killed = report.filter((line) => line.includes('killed at')).length;
    console.log(`crash tolerance: ${TRIALS} trials (seed ${SEED}, ${writes} writes per engagement), ${killed} killed, ${Math.round((performance.now() - started) / 1000)} s\n${report.join('\n')}`);
    // A write late in the engagement may come after the client's last request: most trials must still have been killed.
    expect(killed).toBeGreaterThanOrEqual(Math.ceil(TRIALS * 0.8));
  });
});
