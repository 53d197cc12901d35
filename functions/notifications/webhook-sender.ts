import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type DeliveryOutcome, isAllowedDestination, validateWebhookUrl, type WebhookUrlPolicy } from '../../shared/notifications.ts';
import { AccordError } from '../../shared/errors.ts';

export interface WebhookRequest {
  url: string;
  /** The exact bytes that were signed. */
  body: string;
  headers: Record<string, string>;
}

/** Posts one webhook delivery; never throws for a failed delivery, it answers why. */
export interface WebhookSender {
  post(request: WebhookRequest): Promise<DeliveryOutcome>;
}

export interface FetchWebhookSenderOptions {
  policy: WebhookUrlPolicy;
  /** @default 10 s */
  timeoutMs?: number;
  /** Resolves a host name to its addresses. @default node:dns lookup (all addresses) */
  resolve?: (host: string) => Promise<string[]>;
}

export const USER_AGENT = 'Accord-Webhooks/1';

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs / 1000} s`;
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return detail ? `${message} (${detail})` : message;
}

/**
 * Posts with `fetch`: a timeout, no redirects followed (a 3xx is a failure:
 * a redirect could point inward), and the URL checked again against the
 * policy with its host resolved, so a name that has come to point at a
 * private address is refused at delivery time too. 2xx is delivered; any
 * other status, a timeout or a network error is a failure to retry.
 */
export class FetchWebhookSender implements WebhookSender {
  private readonly timeoutMs: number;
  private readonly resolve: (host: string) => Promise<string[]>;

  constructor(private readonly options: FetchWebhookSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.resolve = options.resolve ?? resolveAll;
  }

  async post(request: WebhookRequest): Promise<DeliveryOutcome> {
    try {
      validateWebhookUrl(request.url, this.options.policy);
      const host = new URL(request.url).hostname.replace(/^\[|\]$/g, '');
      const addresses = isIP(host) ? [host] : await this.resolve(host);
      if (addresses.length === 0 || !addresses.every((address) => isAllowedDestination(address, this.options.policy))) {
        return { ok: false, error: `refused: ${host} resolves to a private, loopback or reserved address` };
      }
    } catch (error) {
      if (error instanceof AccordError) return { ok: false, error: `refused: ${error.message}` };
      return { ok: false, error: `cannot resolve the webhook host: ${describeFailure(error, this.timeoutMs)}` };
    }
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...request.headers },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The answer's body is of no use; do not keep the connection waiting for it.
      await response.body?.cancel().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, error: describeFailure(error, this.timeoutMs) };
    }
  }
}
