import { z } from 'zod';
import { AgreementIdSchema, RunIdSchema } from '../../shared/agreement.ts';
import { BlindResultsPreviewSchema, BlindResultsViewSchema } from '../../shared/blind/view.ts';
import type { Role } from '../../shared/partner.ts';
import {
  ApproveResultsRequestSchema,
  DeclineResultsRequestSchema,
  FlagMatchRequestSchema,
  FlagSchema,
  ResultApprovalStateSchema,
  ResultsPreviewSchema,
  ResultsQuerySchema,
  ResultsViewSchema,
} from '../../shared/results.ts';
import type { RouteDefinition } from './routes.ts';

/**
 * The routes of a run's results: preview and approval before release, the
 * released view (JSON or CSV), and flags on released matches. Spread into
 * ROUTES (functions/api/routes.ts). docs/results.md explains them.
 */

const ANY_ROLE: readonly Role[] = ['admin', 'approver', 'contributor', 'viewer'];
/** Roles that commit their company: they preview, approve and decline results. */
const GOVERNING: readonly Role[] = ['admin', 'approver'];
/** Roles that may say a released match is wrong: everyone but read-only viewers. */
const FLAGGING: readonly Role[] = ['admin', 'approver', 'contributor'];

const RunParams = z.object({ agreementId: AgreementIdSchema, runId: RunIdSchema });

export const RESULTS_ROUTES = [
  {
    handler: 'get-results',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/runs/{runId}/results',
    summary: "Your view of a released run's results: the 9-box, each cell's level and rule, and the matches the terms let you see; `?format=csv` for CSV",
    auth: ANY_ROLE,
    readsResults: true,
    request: { params: RunParams, query: ResultsQuerySchema },
    responses: [
      {
        status: 200,
        description: 'the released view (text/csv with ?format=csv); of a blind run, per cell the level, the count and your own record references',
        schema: z.union([ResultsViewSchema, BlindResultsViewSchema]),
      },
      { status: 404, description: 'no such run, or not a party' },
      { status: 409, description: 'the results are not released (results_not_released) or were withheld (results_withheld)' },
      { status: 410, description: 'the results expired or were deleted (results_expired, results_deleted)' },
    ],
  },
  {
    handler: 'preview-results',
    method: 'GET',
    path: '/v1/agreements/{agreementId}/runs/{runId}/results/preview',
    summary: 'Before release: what you will see of the other side and what it will see of you, with the result hash to approve',
    auth: GOVERNING,
    readsResults: true,
    request: { params: RunParams },
    responses: [
      { status: 200, description: 'the preview (of a blind run: levels, counts and your own record references)', schema: z.union([ResultsPreviewSchema, BlindResultsPreviewSchema]) },
      { status: 404, description: 'no such run, or not a party' },
      { status: 409, description: 'the run has no results awaiting approval (results_not_ready, results_withheld)' },
      { status: 410, description: 'the results expired or were deleted' },
    ],
  },
  {
    handler: 'approve-results',
    signalsWorkflow: true,
    method: 'POST',
    path: '/v1/agreements/{agreementId}/runs/{runId}/results/approvals',
    summary: "Approve the run's results, named by their hash; idempotent. When both parties approved, the results are released",
    auth: GOVERNING,
    request: { params: RunParams, body: ApproveResultsRequestSchema },
    responses: [
      { status: 200, description: 'where the approval stands', schema: ResultApprovalStateSchema },
      { status: 409, description: 'the hash is not that of the results (stale_result_hash), or the results do not await approval (wrong_status)' },
    ],
  },
  {
    handler: 'decline-results',
    signalsWorkflow: true,
    method: 'POST',
    path: '/v1/agreements/{agreementId}/runs/{runId}/results/decline',
    summary: "Decline the run's results: they are withheld and deleted, nothing is released",
    auth: GOVERNING,
    request: { params: RunParams, body: DeclineResultsRequestSchema },
    responses: [
      { status: 200, description: 'withheld', schema: ResultApprovalStateSchema },
      { status: 409, description: 'the results do not await approval (wrong_status)' },
    ],
  },
  {
    handler: 'flag-match',
    method: 'POST',
    path: '/v1/agreements/{agreementId}/runs/{runId}/results/flags',
    summary: 'Flag a released match as wrong, with a reason: both sides see it, and the pair is left out of later runs',
    auth: FLAGGING,
    readsResults: true,
    request: { params: RunParams, body: FlagMatchRequestSchema },
    responses: [
      { status: 201, description: 'flagged', schema: z.object({ flag: FlagSchema }).meta({ id: 'FlagCreated' }) },
      { status: 200, description: 'already flagged by your side: the flag as it stands', schema: z.object({ flag: FlagSchema }) },
      { status: 404, description: 'no such match in your released view' },
      { status: 409, description: 'the results are not released, or the run matched blind: no match to flag (blind_results)' },
      { status: 410, description: 'the results expired' },
    ],
  },
] as const satisfies readonly RouteDefinition[];
