import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../infra/definitions.ts';
import { REFERRAL_ROUTES } from '../../functions/api/referral-routes.ts';
import { ROUTES } from '../../functions/api/routes.ts';
import { outboxStore } from '../../functions/notifications/stores.ts';
import { uniqueSignUp, useTestApi } from '../support/api-client.ts';

interface Agreement {
  id: string;
  status: string;
  version: number;
  proposerId: string;
  counterpartyId?: string;
  terms: { version: number; hash: string; purpose: string; [key: string]: unknown };
  approvals: { partnerId: string; termsHash: string }[];
  invitationCode?: string;
}
interface ErrorBody {
  error: { code: string; message: string; details: { path: string; message: string }[] };
}
type Role = 'admin' | 'approver' | 'contributor' | 'viewer';
interface Company {
  id: string;
  keys: Record<Role, string>;
}

const api = useTestApi();

async function company(name: string): Promise<Company> {
  const signUp = await api.call<{ partner: { id: string }; apiKey: string }>('POST', '/v1/partners', { body: uniqueSignUp(name) });
  expect(signUp.status).toBe(201);
  const keys: Partial<Record<Role, string>> = { admin: signUp.body.apiKey };
  for (const role of ['approver', 'contributor', 'viewer'] as const) {
    const created = await api.call<{ apiKey: string }>('POST', '/v1/partners/me/keys', { key: signUp.body.apiKey, body: { role, label: role } });
    keys[role] = created.body.apiKey;
  }
  return { id: signUp.body.partner.id, keys: keys as Record<Role, string> };
}

async function proposeBetween(proposer: Company, counterparty: Company, terms: unknown = {}): Promise<Agreement> {
  const response = await api.call<Agreement>('POST', '/v1/agreements', { key: proposer.keys.approver, body: { counterpartyId: counterparty.id, terms } });
  expect(response.status).toBe(201);
  return response.body;
}

function expectError(response: { status: number; body: unknown }, status: number, code: string) {
  expect({ status: response.status, code: (response.body as ErrorBody).error?.code }).toEqual({ status, code });
}

async function read(agreementId: string, who: Company): Promise<Agreement> {
  const response = await api.call<Agreement>('GET', `/v1/agreements/${agreementId}`, { key: who.keys.viewer });
  expect(response.status).toBe(200);
  return response.body;
}

describe('proposing', () => {
  it('proposes with every default from terms {} and both parties see it', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await proposeBetween(acme, globex);
    expect(agreement).toMatchObject({ status: 'proposed', version: 1, proposerId: acme.id, counterpartyId: globex.id, approvals: [] });
    expect(agreement.id).toMatch(/^agr_[0-9a-z]{20}$/);
    expect(agreement.terms.version).toBe(1);
    expect(agreement.terms.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(agreement.terms).toHaveProperty('visibility');
    expect(agreement.terms).toHaveProperty('schedule');
    expect(await read(agreement.id, globex)).toEqual(agreement);

    const mine = await api.call<{ agreements: Agreement[] }>('GET', '/v1/agreements', { key: globex.keys.contributor });
    expect(mine.body.agreements.map((a) => a.id)).toEqual([agreement.id]);
    const none = await api.call<{ agreements: Agreement[] }>('GET', '/v1/agreements?status=released', { key: globex.keys.viewer });
    expect(none.body.agreements).toEqual([]);
    expectError(await api.call('GET', '/v1/agreements?status=bogus', { key: globex.keys.viewer }), 400, 'validation_failed');
  });

  it('hides an agreement from anyone who is not a party with 404', async () => {
    const [acme, globex, initech] = [await company('Acme'), await company('Globex'), await company('Initech')];
    const agreement = await proposeBetween(acme, globex);
    expectError(await api.call('GET', `/v1/agreements/${agreement.id}`, { key: initech.keys.admin }), 404, 'not_found');
    expectError(await api.call('GET', `/v1/agreements/${agreement.id}/audit`, { key: initech.keys.admin }), 404, 'not_found');
    const theirs = await api.call<{ agreements: Agreement[] }>('GET', '/v1/agreements', { key: initech.keys.admin });
    expect(theirs.body.agreements).toEqual([]);
  });

  it('refuses unknown terms fields, an unknown counterparty and itself, storing nothing', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const unknownField = await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: globex.id, terms: { matching: { fuzzy: true } } } });
    expectError(unknownField, 400, 'validation_failed');
    expect(JSON.stringify((unknownField.body as unknown as ErrorBody).error)).toContain('fuzzy');
    expectError(await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: 'ptn_00000000000000000000' } }), 404, 'not_found');
    expectError(await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: acme.id } }), 400, 'self_agreement');
    expectError(await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { terms: {} } }), 400, 'validation_failed');
    const listed = await api.call<{ agreements: Agreement[] }>('GET', '/v1/agreements', { key: acme.keys.admin });
    expect(listed.body.agreements).toEqual([]);
  });
});

describe('negotiating and approving', () => {
  it('counter-proposes, refuses stale versions and hashes with 409, and opens contributions when both approve the same hash', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const v1 = await proposeBetween(acme, globex);
    const approvedV1 = await api.call<Agreement>('POST', `/v1/agreements/${v1.id}/approvals`, { key: acme.keys.approver, body: { termsHash: v1.terms.hash } });
    expect(approvedV1.body.approvals).toHaveLength(1);

    const counter = await api.call<Agreement>('POST', `/v1/agreements/${v1.id}/counter-proposals`, {
      key: globex.keys.approver,
      body: { basedOnVersion: 1, terms: { schedule: { contributionDeadlineDays: 21 } } },
    });
    expect(counter.status).toBe(200);
    const v2 = counter.body;
    expect(v2.terms.version).toBe(2);
    expect(v2.terms.hash).not.toBe(v1.terms.hash);
    expect(v2.approvals).toEqual([]);

    const stale = await api.call('POST', `/v1/agreements/${v1.id}/counter-proposals`, { key: acme.keys.admin, body: { basedOnVersion: 1, terms: {} } });
    expectError(stale, 409, 'stale_version');
    expectError(await api.call('POST', `/v1/agreements/${v1.id}/approvals`, { key: acme.keys.approver, body: { termsHash: v1.terms.hash } }), 409, 'stale_terms');
    expect(await read(v1.id, acme)).toEqual(v2);

    const first = await api.call<Agreement>('POST', `/v1/agreements/${v1.id}/approvals`, { key: acme.keys.approver, body: { termsHash: v2.terms.hash } });
    const again = await api.call<Agreement>('POST', `/v1/agreements/${v1.id}/approvals`, { key: acme.keys.admin, body: { termsHash: v2.terms.hash } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const both = await api.call<Agreement>('POST', `/v1/agreements/${v1.id}/approvals`, { key: globex.keys.approver, body: { termsHash: v2.terms.hash } });
    expect(both.body.status).toBe('awaiting_contributions');
    expectError(await api.call('POST', `/v1/agreements/${v1.id}/counter-proposals`, { key: acme.keys.admin, body: { basedOnVersion: 2, terms: {} } }), 409, 'wrong_status');
  });

  it('makes exactly one transition when both approvers race', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await proposeBetween(acme, globex);
    const body = { termsHash: agreement.terms.hash };
    const results = await Promise.all([
      api.call<Agreement>('POST', `/v1/agreements/${agreement.id}/approvals`, { key: acme.keys.approver, body }),
      api.call<Agreement>('POST', `/v1/agreements/${agreement.id}/approvals`, { key: globex.keys.approver, body }),
      api.call<Agreement>('POST', `/v1/agreements/${agreement.id}/approvals`, { key: acme.keys.admin, body }),
      api.call<Agreement>('POST', `/v1/agreements/${agreement.id}/approvals`, { key: globex.keys.admin, body }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const final = await read(agreement.id, acme);
    expect(final.status).toBe('awaiting_contributions');
    expect(final.approvals.map((a) => a.partnerId).sort()).toEqual([acme.id, globex.id].sort());
    const audit = await api.call<{ events: { action: string; statusBefore: string | null; statusAfter: string }[]; verification: { ok: boolean } }>('GET', `/v1/agreements/${agreement.id}/audit`, {
      key: acme.keys.viewer,
    });
    expect(audit.body.verification.ok).toBe(true);
    expect(audit.body.events.filter((e) => e.action === 'approved')).toHaveLength(2);
    // One transition into awaiting contributions (the engagement may already have opened its run after it).
    expect(audit.body.events.filter((e) => e.statusAfter === 'awaiting_contributions' && e.statusBefore !== 'awaiting_contributions')).toHaveLength(1);
  });

  it('ends on decline or withdraw, once', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const declined = await proposeBetween(acme, globex);
    const response = await api.call<Agreement>('POST', `/v1/agreements/${declined.id}/decline`, { key: globex.keys.approver, body: { reason: 'not this quarter' } });
    expect(response.body.status).toBe('declined');
    expectError(await api.call('POST', `/v1/agreements/${declined.id}/withdraw`, { key: acme.keys.admin, body: {} }), 409, 'wrong_status');

    const withdrawn = await proposeBetween(acme, globex);
    expect((await api.call<Agreement>('POST', `/v1/agreements/${withdrawn.id}/withdraw`, { key: acme.keys.admin, body: {} })).body.status).toBe('withdrawn');
    const twice = await api.call<Agreement>('POST', `/v1/agreements/${withdrawn.id}/withdraw`, { key: acme.keys.admin, body: {} });
    expect(twice.status).toBe(200);
    expect(twice.body.version).toBe(2);
  });
});

describe('audit chain', () => {
  it('verifies, and fails at the event that was edited in the table', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    const agreement = await proposeBetween(acme, globex);
    await api.call('POST', `/v1/agreements/${agreement.id}/approvals`, { key: acme.keys.approver, body: { termsHash: agreement.terms.hash } });
    await api.call('POST', `/v1/agreements/${agreement.id}/decline`, { key: globex.keys.approver, body: {} });
    const audit = async () =>
      (await api.call<{ events: { seq: number; action: string; actor: { partnerId: string } }[]; verification: { ok: boolean; seq?: number } }>('GET', `/v1/agreements/${agreement.id}/audit`, { key: acme.keys.viewer })).body;
    const before = await audit();
    expect(before.verification).toEqual({ ok: true });
    expect(before.events.map((e) => [e.seq, e.action, e.actor.partnerId])).toEqual([
      [1, 'proposed', acme.id],
      [2, 'approved', acme.id],
      [3, 'declined', globex.id],
    ]);

    const table = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    await table.send(
      new UpdateCommand({
        TableName: process.env[ENV.tableName],
        Key: { pk: `AGREEMENT#${agreement.id}`, sk: 'AUDIT#0000000002' },
        UpdateExpression: 'SET actor.partnerId = :someoneElse',
        ExpressionAttributeValues: { ':someoneElse': globex.id },
      }),
    );
    const after = await audit();
    expect(after.verification).toMatchObject({ ok: false, seq: 2 });
  });
});

describe('invitations', () => {
  it('lets the invited company sign up with the code and become the counterparty', async () => {
    const acme = await company('Acme');
    const invitee = uniqueSignUp('Newco');
    const proposed = await api.call<Agreement>('POST', '/v1/agreements', { key: acme.keys.admin, body: { inviteEmail: invitee.contactEmail, terms: {} } });
    expect(proposed.status).toBe(201);
    expect(proposed.body.counterpartyId).toBeUndefined();
    const code = proposed.body.invitationCode ?? '';
    expect(code).toMatch(/^inv_[0-9a-z]{32}$/);
    expect((await read(proposed.body.id, acme)).invitationCode).toBeUndefined();
    // The invitation waits in the proposer's outbox, addressed to the invited e-mail, with the code.
    const outbox = await outboxStore().listNotifications(acme.id, 20);
    const invitation = outbox.find((entry) => entry.notification.type === 'agreement.invited');
    expect(invitation?.notification.recipientEmail).toBe(invitee.contactEmail);
    expect(invitation?.notification.text).toContain(code);

    const wrongAddress = await api.call('POST', '/v1/partners', { body: { ...invitee, contactEmail: `someone@${invitee.domain}x`, invitationCode: code } });
    expectError(wrongAddress, 400, 'invalid_invitation');
    expectError(await api.call('POST', '/v1/partners', { body: { ...uniqueSignUp('Guess'), invitationCode: 'inv_' + 'a'.repeat(32) } }), 400, 'invalid_invitation');

    const joined = await api.call<{ partner: { id: string }; apiKey: string; agreementId: string }>('POST', '/v1/partners', { body: { ...invitee, invitationCode: code } });
    expect(joined.status).toBe(201);
    expect(joined.body.agreementId).toBe(proposed.body.id);
    const seen = await api.call<Agreement>('GET', `/v1/agreements/${proposed.body.id}`, { key: joined.body.apiKey });
    expect(seen.body.counterpartyId).toBe(joined.body.partner.id);

    const reused = await api.call('POST', '/v1/partners', { body: { ...uniqueSignUp('Late'), contactEmail: invitee.contactEmail, invitationCode: code } });
    expectError(reused, 400, 'invalid_invitation');
  });
});

describe('who may do what', () => {
  // The agreement's own routes; those of its runs need an open run and are walked in contributions.test.ts,
  // those of referrals, the ledger and analytics need referrals and are walked in referrals-api.test.ts.
  const routes = ROUTES.filter(
    (route) =>
      route.path.startsWith('/v1/agreements/{agreementId}') && !route.path.includes('{runId}') && !REFERRAL_ROUTES.some((referralRoute) => referralRoute.handler === route.handler),
  );

  it('walks every agreement route with every role, as a party and as an outsider', async () => {
    const [acme, globex, initech] = [await company('Acme'), await company('Globex'), await company('Initech')];
    const failures: string[] = [];
    for (const route of routes) {
      for (const role of ['admin', 'approver', 'contributor', 'viewer'] as const) {
        for (const who of ['party', 'outsider'] as const) {
          const agreement = await proposeBetween(acme, globex);
          const caller = who === 'party' ? globex : initech;
          const body =
            route.handler === 'approve-agreement'
              ? { termsHash: agreement.terms.hash }
              : route.handler === 'counter-propose-agreement'
                ? { basedOnVersion: 1, terms: { purpose: 'changed' } }
                : {};
          const response = await api.call(route.method, route.path.replace('{agreementId}', agreement.id), {
            key: caller.keys[role],
            ...(route.method === 'POST' ? { body } : {}),
          });
          const allowedRole = (route.auth as readonly string[]).includes(role);
          const expected = !allowedRole ? 403 : who === 'outsider' ? 404 : 200;
          if (response.status !== expected) failures.push(`${route.method} ${route.path} as ${who} ${role}: ${response.status}, expected ${expected}`);
          const after = await read(agreement.id, acme);
          if (expected !== 200 && after.version !== 1) failures.push(`${route.method} ${route.path} as ${who} ${role} changed the agreement`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets only approvers and admins propose', async () => {
    const [acme, globex] = [await company('Acme'), await company('Globex')];
    for (const role of ['contributor', 'viewer'] as const) {
      expectError(await api.call('POST', '/v1/agreements', { key: acme.keys[role], body: { counterpartyId: globex.id } }), 403, 'forbidden');
    }
    expect((await api.call('POST', '/v1/agreements', { key: acme.keys.admin, body: { counterpartyId: globex.id } })).status).toBe(201);
    const listed = await api.call<{ agreements: Agreement[] }>('GET', '/v1/agreements', { key: globex.keys.viewer });
    expect(listed.body.agreements).toHaveLength(1);
  });
});
