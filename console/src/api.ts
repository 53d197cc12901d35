import { z } from 'zod';
import { AgreementSchema, type Agreement, type AgreementStatus } from '../../shared/agreement.ts';
import { AuditEventSchema } from '../../shared/audit-chain.ts';
import { ContributionSchema } from '../../shared/contributions/contribution.ts';
import { PartnerSchema } from '../../shared/partner.ts';
import { LedgerSchema } from '../../functions/api/referral-routes.ts';
import { ReferralSchema } from '../../shared/referral.ts';
import { ResultApprovalStateSchema, ResultsPreviewSchema, ResultsViewSchema } from '../../shared/results.ts';
import { RunViewSchema } from '../../shared/run.ts';

/**
 * The console's client of Accord's API, on the same origin: every request
 * carries the signed-in key as `Authorization: Bearer <key>`, every answer is
 * checked against the shared zod schema of its route, and an error answer
 * becomes an ApiError with the API's code, message and details.
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

const ErrorEnvelopeSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(z.object({ path: z.string(), message: z.string() })).default([]) }),
});

export const AgreementListSchema = z.object({ agreements: z.array(AgreementSchema) });
export const AuditLogSchema = z.object({ events: z.array(AuditEventSchema), verification: z.object({ ok: z.boolean(), message: z.string().optional() }) });
export const ContributionListSchema = z.object({ contributions: z.array(ContributionSchema) });
export const ReferralListSchema = z.object({ referrals: z.array(ReferralSchema) });
export type Ledger = z.output<typeof LedgerSchema>;

export type AuditLog = z.output<typeof AuditLogSchema>;

function runPath(agreementId: string, runId: string): string {
  return `/v1/agreements/${encodeURIComponent(agreementId)}/runs/${encodeURIComponent(runId)}`;
}

export class Api {
  constructor(
    private readonly key: string,
    /** Called when the API refuses the key (401): the session is over. */
    private readonly onUnauthenticated: () => void = () => undefined,
  ) {}

  async request<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (error) {
      throw new ApiError(0, 'network_error', `the API did not answer (${(error as Error).message}); check your connection and try again`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(response.status, 'not_json', `the API answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const envelope = ErrorEnvelopeSchema.safeParse(json);
      if (response.status === 401) this.onUnauthenticated();
      if (envelope.success) throw new ApiError(response.status, envelope.data.error.code, envelope.data.error.message, envelope.data.error.details);
      throw new ApiError(response.status, 'http_error', `the API answered ${response.status}`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ApiError(response.status, 'unexpected_answer', `the API’s answer to ${method} ${path} is not what the console expects`);
    return parsed.data;
  }

  me() {
    return this.request('GET', '/v1/partners/me', PartnerSchema);
  }

  agreements(status?: AgreementStatus) {
    return this.request('GET', `/v1/agreements${status ? `?status=${encodeURIComponent(status)}` : ''}`, AgreementListSchema);
  }

  agreement(id: string) {
    return this.request('GET', `/v1/agreements/${encodeURIComponent(id)}`, AgreementSchema);
  }

  audit(id: string) {
    return this.request('GET', `/v1/agreements/${encodeURIComponent(id)}/audit`, AuditLogSchema);
  }

  run(agreementId: string, runId: string) {
    return this.request('GET', runPath(agreementId, runId), RunViewSchema);
  }

  contributions(agreementId: string, runId: string) {
    return this.request('GET', `${runPath(agreementId, runId)}/contributions`, ContributionListSchema);
  }

  /** Approves exactly the terms named by `termsHash`: the API refuses it (409 stale_terms) when they are no longer current. */
  approveTerms(agreement: Pick<Agreement, 'id'>, termsHash: string) {
    return this.request('POST', `/v1/agreements/${encodeURIComponent(agreement.id)}/approvals`, AgreementSchema, { termsHash });
  }

  /** Before release, for approvers: what each side will see, and the result hash to approve. */
  resultsPreview(agreementId: string, runId: string) {
    return this.request('GET', `${runPath(agreementId, runId)}/results/preview`, ResultsPreviewSchema);
  }

  /** A released run's results as this side sees them. */
  results(agreementId: string, runId: string) {
    return this.request('GET', `${runPath(agreementId, runId)}/results`, ResultsViewSchema);
  }

  /** Approves exactly the results named by `resultHash` (from the preview). */
  approveResults(agreementId: string, runId: string, resultHash: string) {
    return this.request('POST', `${runPath(agreementId, runId)}/results/approvals`, ResultApprovalStateSchema, { resultHash });
  }

  declineResults(agreementId: string, runId: string, reason: string | undefined) {
    return this.request('POST', `${runPath(agreementId, runId)}/results/decline`, ResultApprovalStateSchema, reason ? { reason } : {});
  }

  referrals(agreementId: string) {
    return this.request('GET', `/v1/agreements/${encodeURIComponent(agreementId)}/referrals`, ReferralListSchema);
  }

  acceptReferral(agreementId: string, referralId: string) {
    return this.request('POST', `/v1/agreements/${encodeURIComponent(agreementId)}/referrals/${encodeURIComponent(referralId)}/accept`, ReferralSchema, {});
  }

  declineReferral(agreementId: string, referralId: string, reason: string | undefined) {
    return this.request('POST', `/v1/agreements/${encodeURIComponent(agreementId)}/referrals/${encodeURIComponent(referralId)}/decline`, ReferralSchema, reason ? { reason } : {});
  }

  ledger(agreementId: string) {
    return this.request('GET', `/v1/agreements/${encodeURIComponent(agreementId)}/ledger`, LedgerSchema);
  }

  /** The ledger statement of a month (YYYY-MM) as CSV text. */
  async ledgerStatement(agreementId: string, month: string): Promise<string> {
    const response = await fetch(`/v1/agreements/${encodeURIComponent(agreementId)}/ledger/statement?period=${encodeURIComponent(month)}`, {
      headers: { authorization: `Bearer ${this.key}`, accept: 'text/csv' },
      credentials: 'omit',
      cache: 'no-store',
    });
    const text = await response.text();
    if (!response.ok) {
      if (response.status === 401) this.onUnauthenticated();
      const envelope = ErrorEnvelopeSchema.safeParse((() => { try { return JSON.parse(text) as unknown; } catch { return undefined; } })());
      throw envelope.success
        ? new ApiError(response.status, envelope.data.error.code, envelope.data.error.message, envelope.data.error.details)
        : new ApiError(response.status, 'http_error', `the API answered ${response.status}`);
    }
    return text;
  }

  decline(agreement: Pick<Agreement, 'id'>, reason: string | undefined) {
    return this.request('POST', `/v1/agreements/${encodeURIComponent(agreement.id)}/decline`, AgreementSchema, reason ? { reason } : {});
  }
}
