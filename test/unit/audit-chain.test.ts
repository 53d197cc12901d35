import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Actor, approve, type CommandResult, decline, propose, SYSTEM_ACTOR } from '../../shared/agreement.ts';
import { appendEvent, type AuditEvent, type AuditEventFields, AuditEventSchema, GENESIS_HASH, hashOfEvent, verifyChain } from '../../shared/audit-chain.ts';
import { canonicalJson, sha256Hex } from '../../shared/canonical-json.ts';
import { newId } from '../../shared/ids.ts';
import { termsHash } from '../../shared/terms.ts';

const AGREEMENT = newId('agreement');
const P = newId('partner');
const ACTOR: Actor = { partnerId: P, keyId: newId('key'), role: 'approver' };
const T0 = Date.parse('2026-11-23T10:00:00.000Z');

function fields(index: number, overrides: Partial<AuditEventFields> = {}): AuditEventFields {
  return {
    agreementId: AGREEMENT,
    at: new Date(T0 + index * 60_000),
    actor: index % 3 === 2 ? SYSTEM_ACTOR : ACTOR,
    action: index === 0 ? 'proposed' : 'approved',
    termsVersion: 1,
    termsHash: termsHash({}),
    statusBefore: index === 0 ? null : 'proposed',
    statusAfter: 'proposed',
    ...(index % 2 === 1 ? { details: { note: `event ${index}`, n: index } } : {}),
    ...overrides,
  };
}

function chain(length: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let index = 0; index < length; index += 1) events.push(appendEvent(events.at(-1), fields(index)));
  return events;
}

/** Rewrites an event's hash after a change, as a forger who knows the rule would. */
function rehash(event: AuditEvent): AuditEvent {
  return { ...event, hash: hashOfEvent(event) };
}

describe('appendEvent', () => {
  it('starts at seq 1 from the genesis hash, sha256: and 64 zeros', () => {
    const first = appendEvent(undefined, fields(0));
    expect(GENESIS_HASH).toBe(`sha256:${'0'.repeat(64)}`);
    expect(first).toEqual({
      seq: 1,
      agreementId: AGREEMENT,
      at: new Date(T0).toISOString(),
      actor: ACTOR,
      action: 'proposed',
      termsVersion: 1,
      termsHash: termsHash({}),
      statusBefore: null,
      statusAfter: 'proposed',
      prevHash: GENESIS_HASH,
      hash: first.hash,
    });
    expect(AuditEventSchema.parse(first)).toEqual(first);
  });

  it('hashes the canonical JSON of the event without its hash, prevHash included', () => {
    const [first, second] = chain(2) as [AuditEvent, AuditEvent];
    const { hash, ...body } = second;
    expect(hash).toBe(`sha256:${sha256Hex(canonicalJson(body))}`);
    expect(second.seq).toBe(2);
    expect(second.prevHash).toBe(first.hash);
    expect(second.details).toEqual({ note: 'event 1', n: 1 });
  });

  it('keeps only the actor’s partner, key and role', () => {
    const event = appendEvent(undefined, fields(0, { actor: { ...ACTOR, label: 'Legal' } as Actor }));
    expect(event.actor).toEqual(ACTOR);
  });

  it('refuses to chain an event of another agreement, or a malformed one', () => {
    const [first] = chain(1);
    expect(() => appendEvent(first, fields(1, { agreementId: newId('agreement') }))).toThrow(TypeError);
    expect(() => appendEvent(undefined, fields(0, { action: 'Has Spaces' }))).toThrow(/action/);
    expect(() => appendEvent(undefined, fields(0, { termsHash: 'md5:abc' }))).toThrow(/termsHash/);
  });

  it('chains the audit actions of the agreement commands', () => {
    const counterparty = newId('partner');
    const now = new Date(T0);
    const results: CommandResult[] = [];
    const proposal = propose({ counterpartyId: counterparty }, { partnerId: P, keyId: newId('key'), role: 'admin' }, now);
    results.push(proposal);
    results.push(approve(proposal.agreement, { termsHash: proposal.agreement.terms.hash }, ACTOR, now));
    results.push(decline(results[1]!.agreement, { reason: 'No budget' }, { partnerId: counterparty, keyId: newId('key'), role: 'approver' }, now));
    const actors = [{ partnerId: P, keyId: 'k', role: 'admin' as const }, ACTOR, { partnerId: counterparty, keyId: 'k', role: 'approver' as const }];
    const events: AuditEvent[] = [];
    for (const [index, result] of results.entries()) {
      if (result.outcome !== 'changed') throw new Error('expected a change');
      events.push(appendEvent(events.at(-1), { agreementId: result.agreement.id, at: now, actor: actors[index]!, ...result.audit }));
    }
    expect(events.map((event) => [event.seq, event.action, event.statusBefore, event.statusAfter])).toEqual([
      [1, 'proposed', null, 'proposed'],
      [2, 'approved', 'proposed', 'proposed'],
      [3, 'declined', 'proposed', 'declined'],
    ]);
    expect(events[2]!.details).toEqual({ reason: 'No budget' });
    expect(verifyChain(events)).toEqual({ ok: true });
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain, an empty one, and one read back from JSON or with storage attributes beside it', () => {
    const events = chain(6);
    expect(verifyChain(events)).toEqual({ ok: true });
    expect(verifyChain([])).toEqual({ ok: true });
    expect(verifyChain(JSON.parse(JSON.stringify(events)) as unknown[])).toEqual({ ok: true });
    expect(verifyChain(events.map((event) => ({ pk: `AGREEMENT#${AGREEMENT}`, sk: `AUDIT#${event.seq}`, entity: 'audit', ...event })))).toEqual({ ok: true });
    expect(verifyChain(events, { agreementId: AGREEMENT, head: { seq: 6, hash: events[5]!.hash } })).toEqual({ ok: true });
    expect(verifyChain([], { head: { seq: 0, hash: GENESIS_HASH } })).toEqual({ ok: true });
  });

  it('finds an edited event at its seq', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, statusAfter: 'awaiting_contributions' };
    expect(verifyChain(events)).toEqual({ ok: false, seq: 3, reason: 'hash_mismatch', message: 'event 3 does not match its hash: it was changed after it was written' });
  });

  it('finds an edited and re-hashed event at the next seq, which no longer chains to it', () => {
    const events = chain(5);
    events[2] = rehash({ ...events[2]!, actor: { ...ACTOR, partnerId: newId('partner') } });
    expect(verifyChain(events)).toEqual({
      ok: false,
      seq: 4,
      reason: 'prev_hash_mismatch',
      message: 'event 4 does not chain to event 3: an earlier event was rewritten',
    });
  });

  it('finds a removed event at the seq where it is missing', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(verifyChain(events)).toEqual({
      ok: false,
      seq: 2,
      reason: 'seq_mismatch',
      message: 'expected event 2, found event 3: an event is missing, duplicated or out of order',
    });
    expect(verifyChain(chain(3).slice(1))).toEqual(expect.objectContaining({ ok: false, seq: 1, reason: 'seq_mismatch' }));
  });

  it('finds a removed event renumbered to hide the gap', () => {
    const events = chain(5);
    events.splice(1, 1);
    events[1] = rehash({ ...events[1]!, seq: 2 });
    expect(verifyChain(events)).toEqual(expect.objectContaining({ ok: false, seq: 2, reason: 'prev_hash_mismatch' }));
  });

  it('finds reordered events at the first position out of order', () => {
    const events = chain(5);
    [events[1], events[2]] = [events[2]!, events[1]!];
    expect(verifyChain(events)).toEqual(expect.objectContaining({ ok: false, seq: 2, reason: 'seq_mismatch' }));
  });

  it('finds a duplicated event', () => {
    const events = chain(3);
    events.splice(2, 0, events[1]!);
    expect(verifyChain(events)).toEqual(expect.objectContaining({ ok: false, seq: 3, reason: 'seq_mismatch' }));
  });

  it('finds a first event that does not start from genesis', () => {
    const events = chain(2);
    events[0] = rehash({ ...events[0]!, prevHash: `sha256:${'1'.repeat(64)}` });
    expect(verifyChain(events)).toEqual(expect.objectContaining({ ok: false, seq: 1, reason: 'prev_hash_mismatch' }));
  });

  it('finds an event of another agreement', () => {
    const events = chain(3);
    events[1] = rehash({ ...events[1]!, agreementId: newId('agreement') });
    expect(verifyChain(events)).toEqual(expect.objectContaining({ ok: false, seq: 2, reason: 'wrong_agreement' }));
    expect(verifyChain(chain(2), { agreementId: newId('agreement') })).toEqual(expect.objectContaining({ ok: false, seq: 1, reason: 'wrong_agreement' }));
  });

  it('finds a malformed event', () => {
    const events: unknown[] = chain(3);
    events[1] = { ...(events[1] as AuditEvent), at: 'yesterday' };
    expect(verifyChain(events)).toEqual(expect.objectContaining({ ok: false, seq: 2, reason: 'malformed' }));
    expect(verifyChain([null])).toEqual(expect.objectContaining({ ok: false, seq: 1, reason: 'malformed' }));
  });

  it('finds a cut end only against a recorded head', () => {
    const events = chain(5);
    const head = { seq: 5, hash: events[4]!.hash };
    expect(verifyChain(events.slice(0, 3))).toEqual({ ok: true });
    expect(verifyChain(events.slice(0, 3), { head })).toEqual({
      ok: false,
      seq: 4,
      reason: 'truncated',
      message: 'the chain ends at event 3; its head is event 5',
    });
    expect(verifyChain([], { head })).toEqual(expect.objectContaining({ ok: false, seq: 1, reason: 'truncated' }));
    expect(verifyChain(events, { head: { seq: 5, hash: events[3]!.hash } })).toEqual(expect.objectContaining({ ok: false, seq: 5, reason: 'head_mismatch' }));
    expect(verifyChain(events, { head: { seq: 4, hash: events[3]!.hash } })).toEqual(expect.objectContaining({ ok: false, seq: 5, reason: 'head_mismatch' }));
  });
});

describe('verifyChain (properties)', () => {
  const mutations: ((event: AuditEvent) => AuditEvent)[] = [
    (event) => ({ ...event, at: new Date(Date.parse(event.at) + 1000).toISOString() }),
    (event) => ({ ...event, action: `${event.action}_x` }),
    (event) => ({ ...event, termsVersion: event.termsVersion + 1 }),
    (event) => ({ ...event, termsHash: termsHash({ purpose: 'Other' }) }),
    (event) => ({ ...event, statusAfter: event.statusAfter === 'declined' ? 'withdrawn' : 'declined' }),
    (event) => ({ ...event, statusBefore: event.statusBefore === null ? 'proposed' : null }),
    (event) => ({ ...event, actor: { ...event.actor, role: event.actor.role === 'viewer' ? 'admin' : 'viewer' } }),
    (event) => ({ ...event, actor: { ...event.actor, keyId: newId('key') } }),
    (event) => ({ ...event, details: { ...event.details, added: true } }),
    (event) => {
      const { details: _details, ...rest } = event;
      return event.details ? rest : { ...rest, details: {} };
    },
    (event) => ({ ...event, prevHash: `sha256:${'f'.repeat(64)}` }),
    (event) => ({ ...event, hash: `sha256:${'e'.repeat(64)}` }),
  ];

  it('accepts every chain it built', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), (length) => {
        const events = chain(length);
        expect(verifyChain(events, length > 0 ? { head: { seq: length, hash: events.at(-1)!.hash } } : {})).toEqual({ ok: true });
      }),
    );
  });

  it('finds any single edit at the edited seq, or, if re-hashed, at the next', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((length) => fc.tuple(fc.constant(length), fc.integer({ min: 0, max: length - 1 }))),
        fc.integer({ min: 0, max: mutations.length - 1 }),
        fc.boolean(),
        ([length, index], mutation, forge) => {
          const events = chain(length);
          const edited = mutations[mutation]!(events[index]!);
          const forged = forge && mutation < mutations.length - 1;
          events[index] = forged ? rehash(edited) : edited;
          const result = verifyChain(events, { head: { seq: length, hash: chain(length).at(-1)!.hash } });
          expect(result.ok).toBe(false);
          if (result.ok) return;
          if (!forged) {
            expect(result.seq).toBe(index + 1);
          } else if (mutation === mutations.length - 2) {
            // A forged prevHash breaks the link into the edited event itself.
            expect([result.seq, result.reason]).toEqual([index + 1, 'prev_hash_mismatch']);
          } else {
            // The edited event verifies by itself; the next one (or the head) no longer names it.
            expect(result.seq).toBe(index + 2 > length ? length : index + 2);
            expect(result.reason).toBe(index + 1 === length ? 'head_mismatch' : 'prev_hash_mismatch');
          }
        },
      ),
    );
  });

  it('finds a removed event at its seq, and reordered events at the first displaced seq', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 20 }).chain((length) => fc.tuple(fc.constant(length), fc.integer({ min: 0, max: length - 2 }), fc.integer({ min: 1, max: length - 1 }))),
        ([length, index, offset]) => {
          const removed = chain(length);
          removed.splice(index, 1);
          expect(verifyChain(removed)).toEqual(expect.objectContaining({ ok: false, seq: index + 1, reason: 'seq_mismatch' }));

          const reordered = chain(length);
          const other = Math.min(index + offset, length - 1);
          [reordered[index], reordered[other]] = [reordered[other]!, reordered[index]!];
          expect(verifyChain(reordered)).toEqual(expect.objectContaining({ ok: false, seq: index + 1, reason: 'seq_mismatch' }));
        },
      ),
    );
  });
});
