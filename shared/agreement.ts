import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from './errors.ts';
import { idPattern, newId } from './ids.ts';
import { KeyIdSchema, PartnerIdSchema, type Role, ROLES } from './partner.ts';
import { diffTerms, parseTerms, type Side, type Terms, TermsHashSchema, type TermsInput, TermsSchema, termsHash } from './terms.ts';

/**
 * An agreement and its lifecycle, as pure functions: each command takes the
 * current agreement, the command, the actor and the time, and answers the
 * next agreement (version + 1) with the audit action to append, or
 * `unchanged` when the command's outcome already holds (a retry), or throws
 * the AccordError that says why not. Storage writes the result conditionally
 * on the version it read, so a race loses with a ConflictError.
 *
 * Who may do what (a key's role, see shared/partner.ts):
 *
 * | command | who |
 * | --- | --- |
 * | propose, counterPropose, approve, decline, withdraw | a party's `admin` or `approver` key |
 * | lapse, expire | the system (the workflow), never a partner |
 *
 * `contributor` and `viewer` keys cannot commit their company to anything. A
 * caller that is not a party is answered NotFoundError, never ForbiddenError,
 * so it learns nothing of the agreement; a party with the wrong role is
 * answered ForbiddenError.
 */

// ---------------------------------------------------------------------------
// Statuses and transitions

export const AGREEMENT_STATUSES = [
  'proposed',
  'awaiting_contributions',
  'lapsed',
  'matching',
  'awaiting_release',
  'released',
  'withheld',
  'declined',
  'withdrawn',
  'expired',
] as const;
export type AgreementStatus = (typeof AGREEMENT_STATUSES)[number];

export const AgreementStatusSchema = z.enum(AGREEMENT_STATUSES).meta({
  id: 'AgreementStatus',
  description:
    'proposed → awaiting_contributions → matching → awaiting_release → released | withheld; awaiting_contributions → lapsed at the deadline; recurring terms go on from released, withheld or lapsed to the next run (awaiting_contributions); an open agreement may end declined, withdrawn or expired',
});

/** The statuses a run ends in. One-off terms end there; recurring terms open the next run on its date from any of them. */
export const RUN_END_STATUSES: readonly AgreementStatus[] = ['released', 'withheld', 'lapsed'];

const BETWEEN_RUNS: readonly AgreementStatus[] = ['awaiting_contributions', 'declined', 'withdrawn', 'expired'];

/**
 * Every transition DESIGN.md draws. `proposed → proposed` is a
 * counter-proposal; `released | withheld | lapsed → awaiting_contributions` is
 * the next run of a recurring agreement (a withheld or lapsed run ends only
 * itself). Which of them a command takes is decided by the command functions
 * below (with `isOpen` for the terms); workflow steps (matching, release)
 * check here.
 */
const TRANSITIONS: Readonly<Record<AgreementStatus, readonly AgreementStatus[]>> = {
  proposed: ['proposed', 'awaiting_contributions', 'declined', 'withdrawn', 'expired'],
  awaiting_contributions: ['matching', 'lapsed', 'declined', 'withdrawn', 'expired'],
  matching: ['awaiting_release', 'declined', 'withdrawn', 'expired'],
  awaiting_release: ['released', 'withheld', 'declined', 'withdrawn', 'expired'],
  released: BETWEEN_RUNS,
  lapsed: BETWEEN_RUNS,
  withheld: BETWEEN_RUNS,
  declined: [],
  withdrawn: [],
  expired: [],
};

export function canTransition(from: AgreementStatus, to: AgreementStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses from which nothing follows, whatever the terms: the agreement ended. */
export const FINAL_STATUSES: readonly AgreementStatus[] = AGREEMENT_STATUSES.filter((status) => TRANSITIONS[status].length === 0);

/**
 * Whether the agreement can still go on, or be declined, withdrawn or
 * expired: any status before a run's end, and the end of a run (released,
 * withheld, lapsed) when the terms recur (the agreement lives on between
 * runs). A one-off agreement is done once its run ends.
 */
export function isOpen(agreement: Pick<Agreement, 'status' | 'terms'>): boolean {
  if (RUN_END_STATUSES.includes(agreement.status)) return agreement.terms.schedule.recurrenceEveryDays !== undefined;
  return !FINAL_STATUSES.includes(agreement.status);
}

// ---------------------------------------------------------------------------
// Schemas

const Timestamp = z.iso.datetime().describe('ISO-8601 UTC');

export const AgreementIdSchema = z.string().regex(idPattern('agreement'), 'must be an agreement id (agr_...)');
export const RunIdSchema = z.string().regex(idPattern('run'), 'must be a run id (run_...)');

export const TermsRecordSchema = z
  .object({
    version: z.int().min(1).describe('1 for the first proposal, + 1 for each counter-proposal'),
    hash: TermsHashSchema,
    proposedBy: PartnerIdSchema.describe('the partner that proposed this version'),
    proposedAt: Timestamp,
    ...TermsSchema.shape,
  })
  .meta({
    id: 'TermsRecord',
    description: 'one version of an agreement’s terms: its number, its hash, who proposed it, and the terms themselves (the hash covers only the terms)',
  });
export type TermsRecord = z.output<typeof TermsRecordSchema>;

export const ApprovalSchema = z
  .object({
    partnerId: PartnerIdSchema,
    keyId: KeyIdSchema.describe('the key that approved'),
    termsHash: TermsHashSchema.describe('exactly what was approved'),
    at: Timestamp,
  })
  .meta({ id: 'Approval' });
export type Approval = z.output<typeof ApprovalSchema>;

export const AgreementSchema = z
  .object({
    id: AgreementIdSchema,
    status: AgreementStatusSchema,
    version: z.int().min(1).describe('optimistic-locking counter: + 1 on every change'),
    proposerId: PartnerIdSchema,
    counterpartyId: PartnerIdSchema.optional().describe('absent while an invitation is pending'),
    invitation: z.object({ email: z.email() }).optional().describe('who was invited, when the counterparty was not yet a partner'),
    terms: TermsRecordSchema,
    termsHistory: z.array(TermsRecordSchema).optional().describe('earlier versions of the terms, oldest first'),
    approvals: z.array(ApprovalSchema).describe('approvals of the current terms; reset by a counter-proposal'),
    currentRunId: RunIdSchema.optional(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Agreement' });
export type Agreement = z.output<typeof AgreementSchema>;

const Reason = z.string().trim().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters');

export const ProposeAgreementRequestSchema = z
  .strictObject({
    counterpartyId: PartnerIdSchema.optional().describe('the partner to propose to, when it is already on Accord'),
    inviteEmail: z
      .email('must be an e-mail address')
      .max(254)
      .optional()
      .describe('whom to invite, when the counterparty is not yet on Accord: they sign up with the invitation and become the counterparty'),
    terms: TermsSchema.prefault({}),
  })
  .refine((request) => (request.counterpartyId === undefined) !== (request.inviteEmail === undefined), {
    path: ['counterpartyId'],
    message: 'name the counterparty either by counterpartyId or by inviteEmail, not both and not neither',
  })
  .meta({ id: 'ProposeAgreementRequest' });
export type ProposeAgreementRequest = z.input<typeof ProposeAgreementRequestSchema>;

export const CounterProposalRequestSchema = z
  .strictObject({
    basedOnVersion: z.int().min(1).describe('the terms version this counter-proposal answers; must be the current one'),
    terms: TermsSchema,
  })
  .meta({ id: 'CounterProposalRequest' });
export type CounterProposalRequest = z.input<typeof CounterProposalRequestSchema>;

export const ApproveTermsRequestSchema = z
  .strictObject({ termsHash: TermsHashSchema.describe('the hash of the terms being approved; must be the current one') })
  .meta({ id: 'ApproveTermsRequest' });
export type ApproveTermsRequest = z.input<typeof ApproveTermsRequestSchema>;

export const EndAgreementRequestSchema = z
  .strictObject({ reason: Reason.optional().describe('why, for the other party and the audit log') })
  .meta({ id: 'EndAgreementRequest' });
export type EndAgreementRequest = z.input<typeof EndAgreementRequestSchema>;

// ---------------------------------------------------------------------------
// Actors and results

export type ActorRole = Role | 'system';
export const ActorRoleSchema = z.enum([...ROLES, 'system']);

/** Who runs a command: a partner's key, or the system (workflow steps, timers). */
export interface Actor {
  partnerId: string;
  keyId: string;
  role: ActorRole;
}

export const SYSTEM_ACTOR: Readonly<Actor> = { partnerId: 'system', keyId: 'system', role: 'system' };

export const GOVERNING_ROLES: readonly Role[] = ['admin', 'approver'];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a command did, for the audit chain (shared/audit-chain.ts appends it with the actor and the time). */
export interface AuditAction {
  action: string;
  /** null when the command created the agreement. */
  statusBefore: AgreementStatus | null;
  statusAfter: AgreementStatus;
  termsVersion: number;
  termsHash: string;
  details?: Record<string, JsonValue>;
}

export type CommandResult =
  | { outcome: 'changed'; agreement: Agreement; audit: AuditAction }
  | { outcome: 'unchanged'; agreement: Agreement };

/** The side a partner is on, or undefined when it is not a party. */
export function sideOf(agreement: Pick<Agreement, 'proposerId' | 'counterpartyId'>, partnerId: string): Side | undefined {
  if (partnerId === agreement.proposerId) return 'proposer';
  if (agreement.counterpartyId !== undefined && partnerId === agreement.counterpartyId) return 'counterparty';
  return undefined;
}

/** The other party of the agreement, seen from `partnerId` (undefined while an invitation is pending). */
export function otherPartyOf(agreement: Pick<Agreement, 'proposerId' | 'counterpartyId'>, partnerId: string): string | undefined {
  return partnerId === agreement.proposerId ? agreement.counterpartyId : agreement.proposerId;
}

// ---------------------------------------------------------------------------
// Guards

export function requireParty(agreement: Agreement, actor: Actor, doing: string): Side {
  if (actor.role === 'system') throw new ForbiddenError(`the system does not ${doing}: a party’s approver or admin does`);
  const side = sideOf(agreement, actor.partnerId);
  // Never say that the agreement exists to someone who is not a party to it.
  if (!side) throw new NotFoundError(`agreement ${agreement.id} was not found`);
  requireGoverningRole(actor, doing);
  return side;
}

function requireGoverningRole(actor: Actor, doing: string): void {
  if (!(GOVERNING_ROLES as readonly string[]).includes(actor.role)) {
    throw new ForbiddenError(`to ${doing} needs a key with the role approver or admin; this key has the role ${actor.role}`);
  }
}

export function requireSystem(agreement: Agreement, actor: Actor, doing: string): void {
  if (actor.role === 'system') return;
  if (!sideOf(agreement, actor.partnerId)) throw new NotFoundError(`agreement ${agreement.id} was not found`);
  throw new ForbiddenError(`only the system can ${doing}`);
}

export function wrongStatus(agreement: Agreement, doing: string, allowed: string): ConflictError {
  return new ConflictError(`the agreement is ${agreement.status}; ${doing} only ${allowed}`, {
    code: 'wrong_status',
    details: [{ path: 'status', message: `is ${agreement.status}` }],
  });
}

/** The agreement with `changes`, its version + 1 and `updatedAt` now. */
export function next(agreement: Agreement, changes: Partial<Agreement>, now: Date): Agreement {
  return { ...agreement, ...changes, version: agreement.version + 1, updatedAt: now.toISOString() };
}

function termsRecord(terms: Terms, version: number, proposedBy: string, now: Date): TermsRecord {
  return { version, hash: termsHash(terms), proposedBy, proposedAt: now.toISOString(), ...terms };
}

/** The terms of a record, without its version, hash and proposer: what the hash covers. */
export function termsOf(record: TermsRecord): Terms {
  const { version: _version, hash: _hash, proposedBy: _proposedBy, proposedAt: _proposedAt, ...terms } = record;
  return terms;
}

// ---------------------------------------------------------------------------
// Commands

export interface ProposeCommand {
  counterpartyId?: string;
  invitation?: { email: string };
  terms?: TermsInput | Terms;
}

/** A new agreement proposed by the actor's partner, with terms version 1 and no approvals. */
export function propose(command: ProposeCommand, actor: Actor, now: Date, options: { id?: string } = {}): CommandResult {
  if (actor.role === 'system') throw new ForbiddenError('the system does not propose agreements: a partner’s approver or admin does');
  requireGoverningRole(actor, 'propose an agreement');
  if ((command.counterpartyId === undefined) === (command.invitation === undefined)) {
    throw new ValidationError('name the counterparty either by counterpartyId or by invitation, not both and not neither', {
      details: [{ path: 'counterpartyId', message: 'or invitation is required, not both' }],
    });
  }
  if (command.counterpartyId === actor.partnerId) {
    throw new ValidationError('a partner cannot propose an agreement to itself', {
      code: 'self_agreement',
      details: [{ path: 'counterpartyId', message: 'is the proposer itself' }],
    });
  }
  const terms = parseTerms(command.terms ?? {});
  const record = termsRecord(terms, 1, actor.partnerId, now);
  const at = now.toISOString();
  const agreement: Agreement = {
    id: options.id ?? newId('agreement'),
    status: 'proposed',
    version: 1,
    proposerId: actor.partnerId,
    ...(command.counterpartyId !== undefined ? { counterpartyId: command.counterpartyId } : {}),
    ...(command.invitation !== undefined ? { invitation: { email: command.invitation.email } } : {}),
    terms: record,
    approvals: [],
    createdAt: at,
    updatedAt: at,
  };
  return {
    outcome: 'changed',
    agreement,
    audit: {
      action: 'proposed',
      statusBefore: null,
      statusAfter: 'proposed',
      termsVersion: 1,
      termsHash: record.hash,
      details: { invited: command.invitation !== undefined },
    },
  };
}

export interface CounterProposeCommand {
  /** The terms version the actor read and answers. */
  basedOnVersion: number;
  terms: TermsInput | Terms;
}

/**
 * New terms in answer to the current ones, by either party while the
 * agreement is proposed: the version goes up by one, the old version goes to
 * the history, and every approval is reset. Terms identical to the current
 * ones change nothing (`unchanged`), whatever version they were based on.
 */
export function counterPropose(agreement: Agreement, command: CounterProposeCommand, actor: Actor, now: Date): CommandResult {
  requireParty(agreement, actor, 'propose terms');
  const terms = parseTerms(command.terms);
  const hash = termsHash(terms);
  if (hash === agreement.terms.hash) return { outcome: 'unchanged', agreement };
  if (agreement.status !== 'proposed') throw wrongStatus(agreement, 'terms can be counter-proposed', 'while it is proposed');
  if (command.basedOnVersion !== agreement.terms.version) {
    throw new ConflictError(
      `the terms are at version ${agreement.terms.version}, not ${command.basedOnVersion}: read the current terms and answer those`,
      { code: 'stale_version', details: [{ path: 'basedOnVersion', message: `is not the current version ${agreement.terms.version}` }] },
    );
  }
  const version = agreement.terms.version + 1;
  const changed = next(
    agreement,
    {
      terms: termsRecord(terms, version, actor.partnerId, now),
      termsHistory: [...(agreement.termsHistory ?? []), agreement.terms],
      approvals: [],
    },
    now,
  );
  return {
    outcome: 'changed',
    agreement: changed,
    audit: {
      action: 'counter_proposed',
      statusBefore: 'proposed',
      statusAfter: 'proposed',
      termsVersion: version,
      termsHash: hash,
      details: {
        basedOnVersion: command.basedOnVersion,
        previousTermsHash: agreement.terms.hash,
        changedFields: diffTerms(termsOf(agreement.terms), terms).map((change) => change.path),
      },
    },
  };
}

export interface ApproveCommand {
  /** The hash of the terms the approver read. */
  termsHash: string;
}

/**
 * The actor's partner approves the current terms, named by their hash. When
 * both parties have approved the same hash the agreement awaits
 * contributions. A party that approved this hash already gets `unchanged`
 * (whichever of its keys approved).
 */
export function approve(agreement: Agreement, command: ApproveCommand, actor: Actor, now: Date): CommandResult {
  requireParty(agreement, actor, 'approve terms');
  if (agreement.approvals.some((approval) => approval.partnerId === actor.partnerId && approval.termsHash === command.termsHash)) {
    return { outcome: 'unchanged', agreement };
  }
  if (agreement.status !== 'proposed') throw wrongStatus(agreement, 'terms can be approved', 'while it is proposed');
  if (command.termsHash !== agreement.terms.hash) {
    throw new ConflictError(
      `the terms approved (${command.termsHash}) are not the current terms (version ${agreement.terms.version}, ${agreement.terms.hash}): read them again`,
      { code: 'stale_terms', details: [{ path: 'termsHash', message: 'is not the hash of the current terms' }] },
    );
  }
  const approvals: Approval[] = [
    ...agreement.approvals,
    { partnerId: actor.partnerId, keyId: actor.keyId, termsHash: agreement.terms.hash, at: now.toISOString() },
  ];
  const approvedBy = new Set(approvals.filter((approval) => approval.termsHash === agreement.terms.hash).map((approval) => approval.partnerId));
  const bothApproved = agreement.counterpartyId !== undefined && approvedBy.has(agreement.proposerId) && approvedBy.has(agreement.counterpartyId);
  const status: AgreementStatus = bothApproved ? 'awaiting_contributions' : 'proposed';
  return {
    outcome: 'changed',
    agreement: next(agreement, { approvals, status }, now),
    audit: {
      action: 'approved',
      statusBefore: 'proposed',
      statusAfter: status,
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
      details: { bothApproved },
    },
  };
}

export interface EndCommand {
  reason?: string;
}

function end(
  agreement: Agreement,
  command: EndCommand,
  actor: Actor,
  now: Date,
  to: 'declined' | 'withdrawn' | 'expired',
  action: string,
): CommandResult {
  if (agreement.status === to) return { outcome: 'unchanged', agreement };
  if (!isOpen(agreement) || !canTransition(agreement.status, to)) {
    throw wrongStatus(agreement, `it can be ${to}`, 'while it is open (proposed, awaiting contributions, matching, awaiting release, or between the runs of recurring terms)');
  }
  const reason = command.reason?.trim();
  return {
    outcome: 'changed',
    agreement: next(agreement, { status: to }, now),
    audit: {
      action,
      statusBefore: agreement.status,
      statusAfter: to,
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
      ...(reason ? { details: { reason } } : {}),
    },
  };
}

/** The actor's partner declines: the agreement ends, from any open status. */
export function decline(agreement: Agreement, command: EndCommand, actor: Actor, now: Date): CommandResult {
  requireParty(agreement, actor, 'decline an agreement');
  return end(agreement, command, actor, now, 'declined', 'declined');
}

/** The actor's partner withdraws: the agreement ends, from any open status. */
export function withdraw(agreement: Agreement, command: EndCommand, actor: Actor, now: Date): CommandResult {
  requireParty(agreement, actor, 'withdraw from an agreement');
  return end(agreement, command, actor, now, 'withdrawn', 'withdrawn');
}

/** The contribution deadline passed without both contributions (the workflow decides when). */
export function lapse(agreement: Agreement, actor: Actor, now: Date): CommandResult {
  requireSystem(agreement, actor, 'lapse an agreement');
  if (agreement.status === 'lapsed') return { outcome: 'unchanged', agreement };
  if (agreement.status !== 'awaiting_contributions') throw wrongStatus(agreement, 'it can lapse', 'while it awaits contributions');
  return {
    outcome: 'changed',
    agreement: next(agreement, { status: 'lapsed' }, now),
    audit: {
      action: 'lapsed',
      statusBefore: 'awaiting_contributions',
      statusAfter: 'lapsed',
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
    },
  };
}

/** The agreement's time ran out while open (the workflow or a timer decides when). */
export function expire(agreement: Agreement, actor: Actor, now: Date, command: EndCommand = {}): CommandResult {
  requireSystem(agreement, actor, 'expire an agreement');
  return end(agreement, command, actor, now, 'expired', 'expired');
}

/**
 * The invited company, now a partner, takes the counterparty's place. Only
 * while the agreement is proposed and the invitation unused; accepting again
 * changes nothing.
 */
export function acceptInvitation(agreement: Agreement, actor: Actor, now: Date): CommandResult {
  if (actor.role === 'system') throw new ForbiddenError('the system does not accept invitations: the invited partner does');
  requireGoverningRole(actor, 'accept an invitation');
  if (agreement.counterpartyId === actor.partnerId) return { outcome: 'unchanged', agreement };
  if (actor.partnerId === agreement.proposerId) {
    throw new ValidationError('a partner cannot accept its own invitation', { code: 'self_agreement' });
  }
  if (agreement.counterpartyId !== undefined || agreement.invitation === undefined) {
    throw new ConflictError('this invitation has already been accepted', { code: 'invitation_used' });
  }
  if (agreement.status !== 'proposed') throw wrongStatus(agreement, 'an invitation can be accepted', 'while it is proposed');
  return {
    outcome: 'changed',
    agreement: next(agreement, { counterpartyId: actor.partnerId }, now),
    audit: {
      action: 'invitation_accepted',
      statusBefore: 'proposed',
      statusAfter: 'proposed',
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
    },
  };
}

/**
 * The workflow opens a run for contributions: the agreement names it as its
 * current run. The first run opens once both approved (awaiting
 * contributions); each next run of recurring terms opens on its date from
 * the end of the previous one (released, withheld or lapsed), and the
 * agreement awaits contributions again.
 */
export function openRun(agreement: Agreement, runId: string, actor: Actor, now: Date): CommandResult {
  requireSystem(agreement, actor, 'open a run');
  if (agreement.currentRunId === runId) return { outcome: 'unchanged', agreement };
  const nextRun = RUN_END_STATUSES.includes(agreement.status) && isOpen(agreement);
  if (agreement.status !== 'awaiting_contributions' && !nextRun) {
    throw wrongStatus(agreement, 'a run can open', 'while it awaits contributions, or between the runs of recurring terms');
  }
  return {
    outcome: 'changed',
    agreement: next(agreement, { currentRunId: runId, status: 'awaiting_contributions' }, now),
    audit: {
      action: 'run_opened',
      statusBefore: agreement.status,
      statusAfter: 'awaiting_contributions',
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
      details: { runId },
    },
  };
}

/** Both contributions of the current run are in: matching starts (the workflow decides when). */
export function startMatching(agreement: Agreement, actor: Actor, now: Date): CommandResult {
  requireSystem(agreement, actor, 'start matching');
  if (agreement.status === 'matching') return { outcome: 'unchanged', agreement };
  if (agreement.status !== 'awaiting_contributions') throw wrongStatus(agreement, 'matching can start', 'while it awaits contributions');
  return {
    outcome: 'changed',
    agreement: next(agreement, { status: 'matching' }, now),
    audit: {
      action: 'matching_started',
      statusBefore: 'awaiting_contributions',
      statusAfter: 'matching',
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
      ...(agreement.currentRunId ? { details: { runId: agreement.currentRunId } } : {}),
    },
  };
}

/** The matcher has written the run's results: both parties now approve (or decline) what would be released. */
export function completeMatching(agreement: Agreement, actor: Actor, now: Date, details: Record<string, JsonValue> = {}): CommandResult {
  requireSystem(agreement, actor, 'complete matching');
  if (agreement.status === 'awaiting_release') return { outcome: 'unchanged', agreement };
  if (agreement.status !== 'matching') throw wrongStatus(agreement, 'matching can complete', 'while it is matching');
  return {
    outcome: 'changed',
    agreement: next(agreement, { status: 'awaiting_release' }, now),
    audit: {
      action: 'matching_completed',
      statusBefore: 'matching',
      statusAfter: 'awaiting_release',
      termsVersion: agreement.terms.version,
      termsHash: agreement.terms.hash,
      details: { ...(agreement.currentRunId ? { runId: agreement.currentRunId } : {}), ...details },
    },
  };
}
