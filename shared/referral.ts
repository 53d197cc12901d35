import { z } from 'zod';
import { type Actor, type Agreement, RunIdSchema } from './agreement.ts';
import { canonicalJson } from './canonical-json.ts';
import { ConflictError, ForbiddenError, ValidationError } from './errors.ts';
import { idPattern, newId } from './ids.ts';
import { AttributionSchema, computeReferralShare, convertedValue, type DealFigures, entriesOfShare, type LedgerEntry, LedgerEntrySchema, reversalsOf } from './ledger.ts';
import { ExchangeRateSchema } from './money.ts';
import { PartnerIdSchema, type Role } from './partner.ts';
import { MatchIdSchema } from './results.ts';
import { CurrencySchema, otherSide, type Population, PopulationSchema, type Side, SideSchema } from './terms.ts';

/**
 * Referrals: an introduction on an account both partners have, tracked to a
 * deal and to the revenue-share ledger. Pure commands in the style of
 * shared/agreement.ts: each takes the referral, the command, the actor (with
 * its side) and the time, and answers the next referral (version + 1), the
 * audit action, the ledger entries to write and whom to tell — or
 * `unchanged` when the command's outcome already holds — or throws the
 * AccordError that says why not. docs/referrals.md describes the rules.
 *
 *   proposed ──accept──▶ accepted ──opportunity──▶ opportunity ──won──▶ won
 *      │                    │                          │  ▲ (amount updated)
 *      └─decline─▶ declined └──────────lost────────────┴──▶ lost
 *   any of accepted, opportunity, won, lost ──dispute──▶ (disputed) ──resolve──▶ stands | void | amended
 *
 * | command | which side | roles |
 * | --- | --- | --- |
 * | register | either (as introducer or as the side introduced) | admin, approver, contributor |
 * | accept | the side that did not register it | admin, approver, contributor |
 * | decline | either, while proposed | admin, approver, contributor |
 * | opportunity, won, lost | the side introduced (the deal is its own) | admin, approver, contributor |
 * | dispute, resolve | either | admin, approver |
 */

export const REFERRAL_STAGES = ['proposed', 'accepted', 'opportunity', 'won', 'lost', 'declined', 'void'] as const;
export type ReferralStage = (typeof REFERRAL_STAGES)[number];
export const ReferralStageSchema = z.enum(REFERRAL_STAGES).meta({
  id: 'ReferralStage',
  description: 'proposed → accepted → opportunity → won | lost; proposed → declined; a dispute may end a referral void',
});

/** Stages in which a referral is still being worked: at most one such referral per match and direction. */
export const OPEN_STAGES: readonly ReferralStage[] = ['proposed', 'accepted', 'opportunity'];
/** Stages after which a dispute may be opened. */
export const DISPUTABLE_STAGES: readonly ReferralStage[] = ['accepted', 'opportunity', 'won', 'lost'];

/** Roles that work referrals: the people who sell, and whoever may commit the company. */
export const REFERRAL_ROLES: readonly Role[] = ['admin', 'approver', 'contributor'];
/** Roles that may dispute a referral and settle a dispute: legal/ops and admins. */
export const DISPUTE_ROLES: readonly Role[] = ['admin', 'approver'];

/** At most this many disputes over one referral's life. */
export const MAX_DISPUTES = 10;

const Timestamp = z.iso.datetime().describe('ISO-8601 UTC');
const Text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const MinorUnits = z.int('must be a whole number of minor units (cents)').min(1, 'must be at least 1').max(Number.MAX_SAFE_INTEGER);

export const ReferralIdSchema = z.string().regex(idPattern('referral'), 'must be a referral id (ref_...)');

export const DealSchema = z
  .object({
    closedAt: Timestamp.describe('when the deal closed; not in the future, not before the introduction'),
    amountMinor: MinorUnits.describe('the deal’s value in minor units of its currency'),
    currency: CurrencySchema.describe('the deal’s currency; it is kept as is'),
    exchangeRate: ExchangeRateSchema.optional().describe(
      'units of the terms’ currency per unit of the deal’s at close; required when the deal’s currency is not the terms’, refused otherwise',
    ),
    revenueMinor: z
      .int('must be a whole number of minor units (cents)')
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe('the revenue the revenue share applies to, in minor units of the deal’s currency; the deal value when absent'),
  })
  .meta({ id: 'Deal' });
export type Deal = z.output<typeof DealSchema>;

export const RESOLUTION_OUTCOMES = ['stands', 'void', 'amended'] as const;

export const ResolutionSchema = z
  .discriminatedUnion('outcome', [
    z.strictObject({ outcome: z.literal('stands').describe('the referral stays as it is') }),
    z.strictObject({ outcome: z.literal('void').describe('the referral is void: it ends, and its ledger entries are reversed') }),
    z.strictObject({
      outcome: z.literal('amended').describe('a won referral’s deal is corrected: its entries are reversed and booked again'),
      deal: DealSchema.strict(),
    }),
  ])
  .meta({ id: 'Resolution' });
export type Resolution = z.output<typeof ResolutionSchema>;

const DisputeSchema = z.object({
  openedBy: SideSchema,
  reason: z.string(),
  openedAt: Timestamp,
  proposal: z
    .object({ by: SideSchema, resolution: ResolutionSchema, at: Timestamp })
    .optional()
    .describe('a resolution one side named; it takes effect when the other side names the same'),
});

export const ReferralSchema = z
  .object({
    id: ReferralIdSchema,
    agreementId: z.string(),
    runId: RunIdSchema,
    matchId: MatchIdSchema,
    account: z.object({ name: z.string(), domain: z.string().optional() }).describe('the account, as the side that registered the referral sees it'),
    cell: z.object({ proposer: PopulationSchema, counterparty: PopulationSchema }).describe('the 9-box cell of the match'),
    introducer: SideSchema.describe('the side that introduces'),
    introduced: SideSchema.describe('the side introduced, which pays any fee or share'),
    introducerId: PartnerIdSchema,
    introducedId: PartnerIdSchema,
    registeredBy: SideSchema,
    introducedAt: Timestamp.describe('when the introduction was made: the attribution window counts from it'),
    note: z.string().optional(),
    stage: ReferralStageSchema,
    version: z.int().min(1),
    opportunity: z.object({ amountMinor: z.int(), currency: CurrencySchema, recordedAt: Timestamp }).optional(),
    deal: DealSchema.optional().describe('set when won'),
    dealValueMinor: z.int().optional().describe('set when won: the deal’s value in minor units of the terms’ currency, at the rate given at close, rounded half to even'),
    attribution: AttributionSchema.optional().describe('set when won: whether anything is owed, and why'),
    entries: z.array(LedgerEntrySchema).describe('the ledger entries currently booked for this referral (none reversed)'),
    reason: z.string().optional().describe('why it was declined or lost'),
    dispute: DisputeSchema.optional().describe('the open dispute; while it is open the referral does not move'),
    disputes: z
      .array(DisputeSchema.omit({ proposal: true }).extend({ resolvedAt: Timestamp, resolution: ResolutionSchema }))
      .describe('disputes settled, oldest first'),
    history: z.array(z.object({ at: Timestamp, action: z.string(), side: SideSchema, stage: ReferralStageSchema })),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Referral' });
export type Referral = z.output<typeof ReferralSchema>;

// ---------------------------------------------------------------------------
// Requests

export const RegisterReferralRequestSchema = z
  .strictObject({
    runId: RunIdSchema.describe('the released run the match belongs to'),
    matchId: MatchIdSchema.describe('the match, as your released view of the run names it'),
    introducer: SideSchema.describe('the side that introduces; the other side is introduced (and pays any fee or share)'),
    introducedAt: Timestamp.optional().describe('when the introduction was made (it may predate the registration); now when absent; not in the future'),
    note: Text(2000).optional(),
  })
  .meta({ id: 'RegisterReferralRequest' });
export type RegisterReferralRequest = z.output<typeof RegisterReferralRequestSchema>;

export const ReasonRequestSchema = z.strictObject({ reason: Text(1000).optional() }).meta({ id: 'ReferralReasonRequest' });
export const OpportunityRequestSchema = z
  .strictObject({ amountMinor: MinorUnits.describe('the open deal’s expected value in minor units'), currency: CurrencySchema })
  .meta({ id: 'ReferralOpportunityRequest' });
export const WonRequestSchema = DealSchema.strict().meta({ id: 'ReferralWonRequest' });
export const DisputeRequestSchema = z.strictObject({ reason: Text(1000) }).meta({ id: 'ReferralDisputeRequest' });

// ---------------------------------------------------------------------------
// Commands

/** Who runs a command on a referral: a key of a party, with that party's side. */
export interface ReferralActor extends Actor {
  side: Side;
}

/** The terms a command books under: those in force on the agreement. */
export interface TermsInForce {
  version: number;
  hash: string;
  incentives: Agreement['terms']['incentives'];
}

export type ReferralNotice = 'proposed' | 'accepted' | 'declined' | 'opportunity' | 'won' | 'lost' | 'disputed' | 'resolution_proposed' | 'resolved';

export type ReferralResult =
  | {
      outcome: 'changed';
      referral: Referral;
      /** The audit action (on the agreement's chain) and what it says. */
      audit: { action: string; details: Record<string, string | number | boolean | null> };
      /** Ledger entries to write with the change: new bookings and reversals. */
      entries: LedgerEntry[];
      /** What to tell the other party. */
      notice: ReferralNotice;
    }
  | { outcome: 'unchanged'; referral: Referral };

export interface VisibleMatch {
  runId: string;
  matchId: string;
  cell: { proposer: Population; counterparty: Population };
  account: { name: string; domain?: string };
}

function requireRole(actor: ReferralActor, roles: readonly Role[], doing: string): void {
  if (!(roles as readonly string[]).includes(actor.role)) {
    throw new ForbiddenError(`to ${doing} needs a key with the role ${roles.join(', ')}; this key has the role ${actor.role}`);
  }
}

function requireSide(actor: ReferralActor, side: Side, doing: string, who: string): void {
  if (actor.side !== side) throw new ForbiddenError(`only ${who} can ${doing}`, { code: 'wrong_party' });
}

function wrongStage(referral: Referral, doing: string, allowed: string): ConflictError {
  return new ConflictError(`the referral is ${referral.stage}; ${doing} only ${allowed}`, {
    code: 'wrong_stage',
    details: [{ path: 'stage', message: `is ${referral.stage}` }],
  });
}

function requireNoDispute(referral: Referral, doing: string): void {
  if (referral.dispute) {
    throw new ConflictError(`the referral is disputed; it cannot ${doing} until the dispute is resolved`, { code: 'disputed' });
  }
}

function changed(
  referral: Referral,
  changes: Partial<Referral>,
  actor: ReferralActor,
  now: Date,
  action: string,
  notice: ReferralNotice,
  details: Record<string, string | number | boolean | null> = {},
  entries: LedgerEntry[] = [],
): ReferralResult {
  const at = now.toISOString();
  const stage = changes.stage ?? referral.stage;
  const next: Referral = {
    ...referral,
    ...changes,
    version: referral.version + 1,
    updatedAt: at,
    history: [...referral.history, { at, action, side: actor.side, stage }],
  };
  // A settled dispute leaves no `dispute` key behind.
  if (next.dispute === undefined) delete next.dispute;
  return {
    outcome: 'changed',
    referral: next,
    audit: { action: `referral.${action}`, details: { referralId: referral.id, matchId: referral.matchId, stageBefore: referral.stage, stageAfter: stage, ...details } },
    entries,
    notice,
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

/** A new referral on a match the actor's side sees in its released view. */
export function registerReferral(
  agreement: Agreement,
  match: VisibleMatch,
  request: RegisterReferralRequest,
  actor: ReferralActor,
  now: Date,
  context: { id?: string } = {},
): Extract<ReferralResult, { outcome: 'changed' }> {
  requireRole(actor, REFERRAL_ROLES, 'register a referral');
  if (agreement.counterpartyId === undefined) throw new ConflictError('the agreement has no counterparty yet', { code: 'wrong_status' });
  const introducedAt = request.introducedAt ?? now.toISOString();
  if (Date.parse(introducedAt) > now.getTime()) {
    throw new ValidationError('the introduction cannot be in the future', { details: [{ path: 'introducedAt', message: 'is in the future' }] });
  }
  const at = now.toISOString();
  const partyOf = (side: Side) => (side === 'proposer' ? agreement.proposerId : (agreement.counterpartyId as string));
  const introduced = otherSide(request.introducer);
  const referral: Referral = {
    id: context.id ?? newId('referral'),
    agreementId: agreement.id,
    runId: match.runId,
    matchId: match.matchId,
    account: match.account,
    cell: match.cell,
    introducer: request.introducer,
    introduced,
    introducerId: partyOf(request.introducer),
    introducedId: partyOf(introduced),
    registeredBy: actor.side,
    introducedAt,
    ...(request.note !== undefined ? { note: request.note } : {}),
    stage: 'proposed',
    version: 1,
    entries: [],
    disputes: [],
    history: [{ at, action: 'registered', side: actor.side, stage: 'proposed' }],
    createdAt: at,
    updatedAt: at,
  };
  return {
    outcome: 'changed',
    referral,
    audit: {
      action: 'referral.registered',
      details: { referralId: referral.id, matchId: match.matchId, runId: match.runId, introducer: request.introducer, stageBefore: null, stageAfter: 'proposed' },
    },
    entries: [],
    notice: 'proposed',
  };
}

/** The side that did not register the referral agrees the introduction happened as written. */
export function acceptReferral(referral: Referral, actor: ReferralActor, now: Date): ReferralResult {
  requireRole(actor, REFERRAL_ROLES, 'accept a referral');
  if (referral.stage !== 'proposed') {
    if (referral.stage === 'accepted' && actor.side !== referral.registeredBy) return { outcome: 'unchanged', referral };
    throw wrongStage(referral, 'a referral can be accepted', 'while it is proposed');
  }
  requireSide(actor, otherSide(referral.registeredBy), 'accept this referral', 'the side that did not register it');
  return changed(referral, { stage: 'accepted' }, actor, now, 'accepted', 'accepted');
}

/** Either side turns a proposed referral down (the side that registered it withdraws it). */
export function declineReferral(referral: Referral, reason: string | undefined, actor: ReferralActor, now: Date): ReferralResult {
  requireRole(actor, REFERRAL_ROLES, 'decline a referral');
  if (referral.stage === 'declined') return { outcome: 'unchanged', referral };
  if (referral.stage !== 'proposed') throw wrongStage(referral, 'a referral can be declined', 'while it is proposed');
  return changed(referral, { stage: 'declined', ...(reason ? { reason } : {}) }, actor, now, 'declined', 'declined', { reason: reason ?? null });
}

/** The side introduced records its open deal on the account (again, to update the amount). */
export function recordOpportunity(referral: Referral, opportunity: { amountMinor: number; currency: string }, actor: ReferralActor, now: Date): ReferralResult {
  requireRole(actor, REFERRAL_ROLES, 'record an opportunity');
  requireNoDispute(referral, 'move');
  if (referral.stage !== 'accepted' && referral.stage !== 'opportunity') {
    throw wrongStage(referral, 'an opportunity can be recorded', 'once the referral is accepted and before it is won or lost');
  }
  requireSide(actor, referral.introduced, 'record the opportunity', 'the side introduced, whose deal it is,');
  if (referral.opportunity && referral.opportunity.amountMinor === opportunity.amountMinor && referral.opportunity.currency === opportunity.currency) {
    return { outcome: 'unchanged', referral };
  }
  return changed(
    referral,
    { stage: 'opportunity', opportunity: { ...opportunity, recordedAt: now.toISOString() } },
    actor,
    now,
    'opportunity',
    'opportunity',
    { amountMinor: opportunity.amountMinor, currency: opportunity.currency },
  );
}

function checkDeal(referral: Referral, deal: Deal, terms: TermsInForce, now: Date, path: string): void {
  const details = [];
  if (Date.parse(deal.closedAt) > now.getTime()) details.push({ path: `${path}closedAt`, message: 'is in the future' });
  if (Date.parse(deal.closedAt) < Date.parse(referral.introducedAt)) {
    details.push({ path: `${path}closedAt`, message: `is before the introduction (${referral.introducedAt})` });
  }
  if (deal.currency !== terms.incentives.currency && deal.exchangeRate === undefined) {
    details.push({ path: `${path}exchangeRate`, message: `is required: the deal is in ${deal.currency}, the terms in ${terms.incentives.currency}` });
  }
  if (deal.currency === terms.incentives.currency && deal.exchangeRate !== undefined) {
    details.push({ path: `${path}exchangeRate`, message: `must be left out: the deal is in the terms’ currency ${deal.currency}` });
  }
  if (details.length > 0) {
    throw new ValidationError(`the deal is invalid: ${details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')}`, { details });
  }
}

function booking(referral: Referral, deal: Deal, terms: TermsInForce, now: Date, newEntryId: () => string) {
  const figures: DealFigures = deal;
  const share = computeReferralShare(terms.incentives, figures, referral.introducedAt);
  const dealValueMinor = convertedValue(figures, terms.incentives.currency);
  const entries = entriesOfShare(
    {
      agreementId: referral.agreementId,
      referralId: referral.id,
      runId: referral.runId,
      matchId: referral.matchId,
      account: referral.account,
      payer: { partnerId: referral.introducedId, side: referral.introduced },
      payee: { partnerId: referral.introducerId, side: referral.introducer },
      termsVersion: terms.version,
      termsHash: terms.hash,
      currency: terms.incentives.currency,
    },
    figures,
    share.parts,
    now.toISOString(),
    newEntryId,
  );
  return { attribution: share.attribution, entries, dealValueMinor };
}

/**
 * The side introduced closed the deal: the referral is won, and when it closed
 * within the attribution window its fee and share are booked on the ledger
 * under the terms in force (outside the window nothing is owed, and the
 * attribution says why).
 */
export function winReferral(
  referral: Referral,
  deal: Deal,
  terms: TermsInForce,
  actor: ReferralActor,
  now: Date,
  newEntryId: () => string = () => newId('ledgerEntry'),
): ReferralResult {
  requireRole(actor, REFERRAL_ROLES, 'mark a referral won');
  if (referral.stage === 'won' && sameJson(referral.deal, deal)) return { outcome: 'unchanged', referral };
  requireNoDispute(referral, 'move');
  if (referral.stage !== 'opportunity') throw wrongStage(referral, 'a referral can be won', 'from opportunity');
  requireSide(actor, referral.introduced, 'mark the referral won', 'the side introduced, whose deal it is,');
  checkDeal(referral, deal, terms, now, '');
  const { attribution, entries, dealValueMinor } = booking(referral, deal, terms, now, newEntryId);
  return changed(
    referral,
    { stage: 'won', deal, dealValueMinor, attribution, entries },
    actor,
    now,
    'won',
    'won',
    { attribution: attribution.outcome, amountMinor: deal.amountMinor, currency: deal.currency, exchangeRate: deal.exchangeRate ?? null, ledgerEntries: entries.length },
    entries,
  );
}

/** The side introduced lost the deal (or gave up on it). */
export function loseReferral(referral: Referral, reason: string | undefined, actor: ReferralActor, now: Date): ReferralResult {
  requireRole(actor, REFERRAL_ROLES, 'mark a referral lost');
  if (referral.stage === 'lost') return { outcome: 'unchanged', referral };
  requireNoDispute(referral, 'move');
  if (referral.stage !== 'accepted' && referral.stage !== 'opportunity') throw wrongStage(referral, 'a referral can be lost', 'once accepted and before it is won');
  requireSide(actor, referral.introduced, 'mark the referral lost', 'the side introduced, whose deal it is,');
  return changed(referral, { stage: 'lost', ...(reason ? { reason } : {}) }, actor, now, 'lost', 'lost', { reason: reason ?? null });
}

/** Either side disputes the referral; it stays where it is until the dispute is resolved. */
export function disputeReferral(referral: Referral, reason: string, actor: ReferralActor, now: Date): ReferralResult {
  requireRole(actor, DISPUTE_ROLES, 'dispute a referral');
  if (referral.dispute) {
    if (referral.dispute.openedBy === actor.side && referral.dispute.reason === reason) return { outcome: 'unchanged', referral };
    throw new ConflictError('the referral is already disputed', { code: 'disputed' });
  }
  if (!DISPUTABLE_STAGES.includes(referral.stage)) throw wrongStage(referral, 'a referral can be disputed', 'once accepted (and not declined or void)');
  if (referral.disputes.length >= MAX_DISPUTES) {
    throw new ConflictError(`the referral has been disputed ${MAX_DISPUTES} times; settle it outside Accord`, { code: 'too_many_disputes' });
  }
  return changed(referral, { dispute: { openedBy: actor.side, reason, openedAt: now.toISOString() } }, actor, now, 'disputed', 'disputed', { reason });
}

/**
 * Settles the open dispute. The side that opened it may withdraw it alone
 * (`stands`); any other resolution takes effect when both sides name the same
 * one: the first names it (a proposal, the other side is told), the second
 * agrees by naming it too. Naming another replaces the proposal.
 */
export function resolveDispute(
  referral: Referral,
  resolution: Resolution,
  terms: TermsInForce,
  actor: ReferralActor,
  now: Date,
  newEntryId: () => string = () => newId('ledgerEntry'),
): ReferralResult {
  requireRole(actor, DISPUTE_ROLES, 'resolve a dispute');
  const dispute = referral.dispute;
  if (!dispute) {
    const last = referral.disputes.at(-1);
    if (last && sameJson(last.resolution, resolution)) return { outcome: 'unchanged', referral };
    throw new ConflictError('the referral is not disputed', { code: 'not_disputed' });
  }
  if (resolution.outcome === 'amended') {
    if (referral.stage !== 'won') {
      throw new ValidationError('only a won referral’s deal can be amended', { details: [{ path: 'outcome', message: `the referral is ${referral.stage}` }] });
    }
    checkDeal(referral, resolution.deal, terms, now, 'deal.');
  }
  const withdrawn = resolution.outcome === 'stands' && dispute.openedBy === actor.side;
  const agreed = dispute.proposal !== undefined && dispute.proposal.by !== actor.side && sameJson(dispute.proposal.resolution, resolution);
  if (!withdrawn && !agreed) {
    if (dispute.proposal?.by === actor.side && sameJson(dispute.proposal.resolution, resolution)) return { outcome: 'unchanged', referral };
    return changed(
      referral,
      { dispute: { ...dispute, proposal: { by: actor.side, resolution, at: now.toISOString() } } },
      actor,
      now,
      'resolution_proposed',
      'resolution_proposed',
      { outcome: resolution.outcome },
    );
  }

  const { proposal: _proposal, ...settled } = dispute;
  const base: Partial<Referral> = { dispute: undefined, disputes: [...referral.disputes, { ...settled, resolvedAt: now.toISOString(), resolution }] };
  const bookedAt = now.toISOString();
  if (resolution.outcome === 'stands') {
    return changed(referral, base, actor, now, 'resolved', 'resolved', { outcome: 'stands' });
  }
  const reversals = reversalsOf(referral.entries, bookedAt, newEntryId);
  if (resolution.outcome === 'void') {
    return changed(referral, { ...base, stage: 'void', entries: [] }, actor, now, 'resolved', 'resolved', { outcome: 'void', reversedEntries: reversals.length }, reversals);
  }
  const { attribution, entries, dealValueMinor } = booking(referral, resolution.deal, terms, now, newEntryId);
  return changed(
    referral,
    { ...base, deal: resolution.deal, dealValueMinor, attribution, entries },
    actor,
    now,
    'resolved',
    'resolved',
    { outcome: 'amended', attribution: attribution.outcome, reversedEntries: reversals.length, ledgerEntries: entries.length },
    [...reversals, ...entries],
  );
}
