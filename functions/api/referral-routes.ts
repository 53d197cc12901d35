import { z } from 'zod';
import { AgreementIdSchema } from '../../shared/agreement.ts';
import { AgreementAnalyticsSchema, PartnerAnalyticsSchema } from '../../shared/analytics.ts';
import { LedgerEntrySchema } from '../../shared/ledger.ts';
import type { Role } from '../../shared/partner.ts';
import {
  DISPUTE_ROLES,
  DisputeRequestSchema,
  OpportunityRequestSchema,
  ReasonRequestSchema,
  REFERRAL_ROLES,
  ReferralIdSchema,
  ReferralSchema,
  ReferralStageSchema,
  RegisterReferralRequestSchema,
  ResolutionSchema,
  WonRequestSchema,
} from '../../shared/referral.ts';
import type { RouteDefinition } from './routes.ts';

/**
 * The routes of referrals, the revenue-share ledger and analytics, spread
 * into ROUTES (functions/api/routes.ts). docs/referrals.md explains them.
 */

const ANY_ROLE: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];

const AgreementParams = z.object({ agreementId: AgreementIdSchema });
const ReferralParams = z.object({ agreementId: AgreementIdSchema, referralId: ReferralIdSchema });

const BalanceSchema = z
  .object({
    currency: z.string(),
    payerId: z.string(),
    payeeId: z.string(),
    amountMinor: z.int().describe('what the payer owes the payee, net of reversals'),
    entries: z.int(),
  })
  .meta({ id: 'LedgerBalance' });

export const LedgerSchema = z
  .object({
    agreementId: z.string(),
    currency: z.string().describe('the terms’ currency: every entry’s'),
    entries: z.array(LedgerEntrySchema).describe('oldest first; the same for both parties'),
    balances: z.array(BalanceSchema),
  })
  .meta({ id: 'Ledger', description: 'an agreement’s revenue-share ledger, the same for both parties' });

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

const referralResponses = (status: number, description: string) =>
  [
    { status, description, schema: ReferralSchema },
    { status: 404, description: 'no such referral, or not a party' },
    { status: 409, description: 'the referral is not in a stage that allows this (wrong_stage), or is disputed (disputed)' },
  ] as const;

export const REFERRAL_ROUTES = [
  {
    handler: 'register-referral',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals',
    summary: 'Register a referral on a released match your side sees at level accounts: who introduces whom, and a note',
    auth: REFERRAL_ROLES,
    readsResults: true,
    request: { params: AgreementParams, body: RegisterReferralRequestSchema },
    responses: [
      { status: 201, description: 'registered; the other party is asked to accept it', schema: ReferralSchema },
      { status: 404, description: 'no such agreement, run or match in your released view' },
      { status: 409, description: 'the run is not released (results_not_released, results_withheld), the match is flagged (match_flagged), the run matched blind (blind_results), or a referral of it in this direction is open (referral_exists)' },
      { status: 410, description: 'the run’s results expired or were deleted' },
    ],
  },
  {
    handler: 'list-referrals',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/referrals',
    summary: "The agreement's referrals, oldest first; both parties see the same",
    auth: ANY_ROLE,
    request: { params: AgreementParams, query: z.object({ stage: ReferralStageSchema.optional() }) },
    responses: [{ status: 200, description: 'the referrals', schema: z.object({ referrals: z.array(ReferralSchema) }).meta({ id: 'ReferralList' }) }],
  },
  {
    handler: 'get-referral',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}',
    summary: 'One referral, with its history, deal, attribution and ledger entries',
    auth: ANY_ROLE,
    request: { params: ReferralParams },
    responses: [
      { status: 200, description: 'the referral', schema: ReferralSchema },
      { status: 404, description: 'no such referral, or not a party' },
    ],
  },
  {
    handler: 'accept-referral',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/accept',
    summary: 'The side that did not register the referral agrees the introduction happened as written; idempotent',
    auth: REFERRAL_ROLES,
    request: { params: ReferralParams },
    responses: referralResponses(200, 'accepted'),
  },
  {
    handler: 'decline-referral',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/decline',
    summary: 'Turn a proposed referral down (or withdraw your own), with a reason',
    auth: REFERRAL_ROLES,
    request: { params: ReferralParams, body: ReasonRequestSchema },
    responses: referralResponses(200, 'declined'),
  },
  {
    handler: 'record-referral-opportunity',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/opportunity',
    summary: 'The side introduced records its open deal on the account (amount in minor units, currency); again to update the amount',
    auth: REFERRAL_ROLES,
    request: { params: ReferralParams, body: OpportunityRequestSchema },
    responses: referralResponses(200, 'an opportunity'),
  },
  {
    handler: 'win-referral',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/won',
    summary: 'The side introduced closed the deal: within the attribution window, the fee and share are booked on the ledger',
    auth: REFERRAL_ROLES,
    request: { params: ReferralParams, body: WonRequestSchema },
    responses: referralResponses(200, 'won; `attribution` says what is owed and why'),
  },
  {
    handler: 'lose-referral',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/lost',
    summary: 'The side introduced lost the deal',
    auth: REFERRAL_ROLES,
    request: { params: ReferralParams, body: ReasonRequestSchema },
    responses: referralResponses(200, 'lost'),
  },
  {
    handler: 'dispute-referral',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/disputes',
    summary: 'Dispute an accepted, open, won or lost referral, with a reason: it does not move until the dispute is settled',
    auth: DISPUTE_ROLES,
    request: { params: ReferralParams, body: DisputeRequestSchema },
    responses: referralResponses(200, 'disputed'),
  },
  {
    handler: 'resolve-referral-dispute',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/referrals/{referralId}/dispute/resolution',
    summary:
      'Name a resolution of the open dispute (stands, void, or amended with a corrected deal): it takes effect when both sides name the same one; the side that opened the dispute withdraws it alone with stands',
    auth: DISPUTE_ROLES,
    request: { params: ReferralParams, body: ResolutionSchema },
    responses: [
      ...referralResponses(200, 'the referral, with the proposal or the settled dispute'),
      { status: 400, description: 'an amended deal that is invalid, or amending a referral that is not won' },
    ],
  },
  {
    handler: 'get-ledger',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/ledger',
    summary: "The agreement's revenue-share ledger and balances, the same for both parties",
    auth: ANY_ROLE,
    request: { params: AgreementParams },
    responses: [{ status: 200, description: 'the ledger', schema: LedgerSchema }],
  },
  {
    handler: 'get-ledger-statement',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/ledger/statement',
    summary: 'The ledger entries booked in a period, as CSV (formula-safe): ?period=YYYY-MM, or ?from=YYYY-MM-DD&to=YYYY-MM-DD (both included, UTC)',
    auth: ANY_ROLE,
    request: { params: AgreementParams, query: z.object({ period: Month.optional(), from: Day.optional(), to: Day.optional() }) },
    responses: [{ status: 200, description: 'text/csv: one line per entry, then one total line per payer, payee and currency' }],
  },
  {
    handler: 'get-agreement-analytics',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/analytics',
    summary: 'What the agreement produced, as your side may know it: overlap per cell over released runs, times to contribute and approve, reminders, referrals by stage, revenue and share',
    auth: ANY_ROLE,
    request: { params: AgreementParams },
    responses: [{ status: 200, description: 'the analytics', schema: AgreementAnalyticsSchema }],
  },
  {
    handler: 'get-partner-analytics',
    method: 'GET',
    path: '/v1/partners/me/analytics',
    summary: 'Your mapping programme across all your agreements, as your side may know it',
    auth: ANY_ROLE,
    responses: [{ status: 200, description: 'the analytics', schema: PartnerAnalyticsSchema }],
  },
] as const satisfies readonly RouteDefinition[];
