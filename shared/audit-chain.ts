import { z } from 'zod';
import { type Actor, ActorRoleSchema, AgreementIdSchema, AgreementStatusSchema, type AuditAction } from './agreement.ts';
import { canonicalHash, SHA256_HASH_PATTERN } from './canonical-json.ts';
import { TermsHashSchema } from './terms.ts';

/**
 * The audit log of an agreement: one event per command, numbered from 1, each
 * carrying the hash of the one before it (`prevHash`) and its own hash over
 * everything else it says:
 *
 *     hash = 'sha256:' + hex(SHA-256(RFC 8785 canonical JSON of the event without `hash`))
 *
 * The first event's `prevHash` is GENESIS_HASH, `sha256:` and 64 zeros, so
 * every event has the same shape and every hash field the same format.
 *
 * What the chain proves: an event changed after it was written no longer
 * matches its hash; an event removed or moved leaves a gap in `seq` or a
 * `prevHash` that names another event. What it cannot prove alone: that
 * events were not cut from the end, or that the whole chain was not
 * rewritten from some event on. Keep the head (`seq` and `hash` of the last
 * event) somewhere the log's writer cannot rewrite with it, e.g. on the
 * agreement item written in the same transaction, and pass it as `head`.
 */

export const GENESIS_HASH = `sha256:${'0'.repeat(64)}`;

const JsonValueSchema = z.json().meta({ id: 'JsonValue', description: 'any JSON value' });

const HashSchema = z.string().regex(SHA256_HASH_PATTERN, 'must be sha256: and 64 hex digits');

export const AuditActorSchema = z
  .object({
    partnerId: z.string().min(1).describe('the partner, or "system" for workflow steps and timers'),
    keyId: z.string().min(1).describe('the key used, or "system"'),
    role: ActorRoleSchema,
  })
  .meta({ id: 'AuditActor' });

export const AuditEventSchema = z
  .object({
    seq: z.int().min(1).describe('1 for the first event of the agreement, + 1 for each next'),
    agreementId: AgreementIdSchema,
    at: z.iso.datetime().describe('ISO-8601 UTC'),
    actor: AuditActorSchema,
    action: z.string().regex(/^[a-z][a-z0-9_.]*$/, 'must be a lower-case action name such as approved'),
    termsVersion: z.int().min(1),
    termsHash: TermsHashSchema,
    statusBefore: AgreementStatusSchema.nullable().describe('null for the event that created the agreement'),
    statusAfter: AgreementStatusSchema,
    details: z.record(z.string(), JsonValueSchema).optional().describe('what else the command said, e.g. a reason'),
    prevHash: HashSchema.describe('the hash of the previous event; sha256: and 64 zeros for the first'),
    hash: HashSchema.describe('sha256 of the RFC 8785 canonical JSON of this event without its hash'),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.output<typeof AuditEventSchema>;

/** What a caller says of a new event; the chain adds seq, prevHash and hash. */
export interface AuditEventFields extends AuditAction {
  agreementId: string;
  /** ISO-8601 UTC, or the Date of the command. */
  at: string | Date;
  actor: Actor;
}

/** The hash an event must carry: over all its fields but `hash` itself. */
export function hashOfEvent(event: Omit<AuditEvent, 'hash'> & { hash?: string }): string {
  const { hash: _hash, ...body } = event;
  return canonicalHash(body);
}

/** The next event of the chain whose last event is `prev` (undefined for the first). */
export function appendEvent(prev: Pick<AuditEvent, 'seq' | 'hash' | 'agreementId'> | undefined, fields: AuditEventFields): AuditEvent {
  if (prev && prev.agreementId !== fields.agreementId) {
    throw new TypeError(`an event of ${fields.agreementId} cannot follow an event of ${prev.agreementId}`);
  }
  const body: Omit<AuditEvent, 'hash'> = {
    seq: prev ? prev.seq + 1 : 1,
    agreementId: fields.agreementId,
    at: typeof fields.at === 'string' ? fields.at : fields.at.toISOString(),
    actor: { partnerId: fields.actor.partnerId, keyId: fields.actor.keyId, role: fields.actor.role },
    action: fields.action,
    termsVersion: fields.termsVersion,
    termsHash: fields.termsHash,
    statusBefore: fields.statusBefore,
    statusAfter: fields.statusAfter,
    ...(fields.details !== undefined ? { details: fields.details } : {}),
    prevHash: prev ? prev.hash : GENESIS_HASH,
  };
  const parsed = AuditEventSchema.omit({ hash: true }).safeParse(body);
  if (!parsed.success) {
    throw new TypeError(`not a valid audit event: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return { ...body, hash: hashOfEvent(body) };
}

export type ChainBreak =
  /** Not an audit event at all (a field missing or of the wrong type). */
  | 'malformed'
  /** An event of another agreement. */
  | 'wrong_agreement'
  /** The event is not the one expected at this position: one is missing, duplicated or out of order. */
  | 'seq_mismatch'
  /** The event's content does not match its hash: it was changed after it was written. */
  | 'hash_mismatch'
  /** The event does not name the previous event's hash: the previous one was rewritten, or this one moved. */
  | 'prev_hash_mismatch'
  /** The chain ends before the head it should reach: events were cut from its end. */
  | 'truncated'
  /** The chain's last event is not the head it should be. */
  | 'head_mismatch';

export type ChainVerification = { ok: true } | { ok: false; seq: number; reason: ChainBreak; message: string };

export interface VerifyOptions {
  /** The agreement every event must belong to; by default that of the first event. */
  agreementId?: string;
  /** The last event's seq and hash as recorded elsewhere (the agreement item); detects a cut end. */
  head?: { seq: number; hash: string };
}

/**
 * Checks a whole chain, first event first, and answers the seq of the first
 * event that does not verify: the event that was changed, or the position at
 * which an event is missing or out of order.
 */
export function verifyChain(events: readonly unknown[], options: VerifyOptions = {}): ChainVerification {
  const fail = (seq: number, reason: ChainBreak, message: string): ChainVerification => ({ ok: false, seq, reason, message });
  let agreementId = options.agreementId;
  let prev: AuditEvent | undefined;
  for (const [index, raw] of events.entries()) {
    const expectedSeq = index + 1;
    const parsed = AuditEventSchema.safeParse(raw);
    if (!parsed.success) {
      return fail(expectedSeq, 'malformed', `event ${expectedSeq} is not an audit event: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    const event = parsed.data;
    agreementId ??= event.agreementId;
    if (event.agreementId !== agreementId) {
      return fail(expectedSeq, 'wrong_agreement', `event ${expectedSeq} belongs to ${event.agreementId}, not ${agreementId}`);
    }
    if (event.seq !== expectedSeq) {
      return fail(expectedSeq, 'seq_mismatch', `expected event ${expectedSeq}, found event ${event.seq}: an event is missing, duplicated or out of order`);
    }
    if (hashOfEvent(event) !== event.hash) {
      return fail(expectedSeq, 'hash_mismatch', `event ${expectedSeq} does not match its hash: it was changed after it was written`);
    }
    const expectedPrev = prev ? prev.hash : GENESIS_HASH;
    if (event.prevHash !== expectedPrev) {
      return fail(
        expectedSeq,
        'prev_hash_mismatch',
        prev
          ? `event ${expectedSeq} does not chain to event ${prev.seq}: an earlier event was rewritten`
          : `event 1 does not start from the genesis hash`,
      );
    }
    prev = event;
  }
  const { head } = options;
  if (head) {
    const lastSeq = prev ? prev.seq : 0;
    if (lastSeq < head.seq) return fail(lastSeq + 1, 'truncated', `the chain ends at event ${lastSeq}; its head is event ${head.seq}`);
    if (lastSeq > head.seq || (prev ? prev.hash : GENESIS_HASH) !== head.hash) {
      return fail(lastSeq, 'head_mismatch', `the chain’s last event ${lastSeq} is not its recorded head (event ${head.seq}, ${head.hash})`);
    }
  }
  return { ok: true };
}
