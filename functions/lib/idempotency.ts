import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ENV } from '../../infra/definitions.ts';
import { canonicalJson } from '../../shared/canonical-json.ts';
import { ConflictError, UnprocessableContentError, ValidationError } from '../../shared/errors.ts';
import type { RouteDefinition } from '../api/routes.ts';
import { DynamoIdempotencyStore, type IdempotencyRecordKey, type SealedResponse } from '../store/idempotency-store.ts';
import { dynamodb } from './clients.ts';
import { requireEnv } from './config.ts';
import { logger } from './logger.ts';

/**
 * Safe retries of the API's writes (the `Idempotency-Key` request header, as
 * in the IETF httpapi draft and Stripe's API): the first request with a key
 * claims a record with a conditional write and runs; its 2xx answer is kept
 * for 24 hours and replayed, with the same status and body, to any retry with
 * the same key — the route does not run again. Keys are scoped to the calling
 * partner and the route. A key reused with another request answers 422
 * `idempotency_key_reused`; a retry while the first is still running answers
 * 409 `idempotency_request_in_progress`. An answer that is an error is not
 * kept (the request changed nothing), so its retry runs afresh.
 *
 * The table never holds a replayable answer in the clear (sign-up and key
 * creation answer API keys): it is sealed with AES-256-GCM under a key derived
 * (HKDF) from the client's Idempotency-Key, which is itself never stored.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on a replayed answer. */
export const REPLAYED_HEADER = 'idempotent-replayed';
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Longer than an API function's timeout (10 s): a claim older than this belongs to a request that died. */
export const IDEMPOTENCY_LEASE_MS = 60_000;
/**
 * ACCORD_IDEMPOTENCY_LEASE_MS overrides the lease where a shorter one is safe: a single local process,
 * whose requests all die with it (the crash test restarts one and retries at once).
 */
export const IDEMPOTENCY_LEASE_ENV = 'ACCORD_IDEMPOTENCY_LEASE_MS';

function leaseMs(): number {
  const configured = Number(process.env[IDEMPOTENCY_LEASE_ENV]);
  return Number.isInteger(configured) && configured > 0 ? configured : IDEMPOTENCY_LEASE_MS;
}
/** Answers larger than this are not kept (an item holds 400 KB); their retries run again. */
export const MAX_KEPT_ANSWER_BYTES = 256 * 1024;
/** 16 to 255 visible ASCII characters: a UUID is the usual choice. */
const KEY_PATTERN = /^[\x21-\x7e]{16,255}$/;
const METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

interface Held {
  key: IdempotencyRecordKey;
  lockToken: string;
  sealKey: Buffer;
}

let store: DynamoIdempotencyStore | undefined;

function idempotencyStore(): DynamoIdempotencyStore {
  store ??= new DynamoIdempotencyStore(dynamodb, requireEnv(ENV.tableName));
  return store;
}

/** The client's key from the header (a structured-field string may come quoted), or undefined when none was sent. */
export function idempotencyKeyOf(event: Event): string | undefined {
  const raw = event.headers?.[IDEMPOTENCY_HEADER];
  if (raw === undefined) return undefined;
  const key = /^"(.*)"$/.exec(raw.trim())?.[1] ?? raw.trim();
  if (!KEY_PATTERN.test(key)) {
    throw new ValidationError('the Idempotency-Key header must be 16 to 255 visible ASCII characters (a UUID, for instance)', {
      code: 'invalid_idempotency_key',
      details: [{ path: 'headers.idempotency-key', message: 'must be 16 to 255 visible ASCII characters' }],
    });
  }
  return key;
}

/**
 * The record's id and the answer's sealing key, both derived from the client's
 * key for this scope and route: neither reveals the key, and no other partner
 * or route arrives at the same record.
 */
export function deriveIdempotencyKeys(idempotencyKey: string, partnerId: string | undefined, route: Pick<RouteDefinition, 'method' | 'path'>) {
  const salt = `${partnerId ?? 'public'}\n${route.method} ${route.path}`;
  const material = Buffer.from(hkdfSync('sha256', idempotencyKey, salt, 'accord idempotency v1', 64));
  return { recordId: material.subarray(0, 32).toString('hex'), sealKey: material.subarray(32) };
}

/** What the request asks: a retry must ask the same (JSON bodies compared canonically). */
export function requestFingerprint(event: Event): string {
  const raw = event.body === undefined ? '' : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8').toString('utf8');
  let body = raw;
  try {
    body = raw ? canonicalJson(JSON.parse(raw)) : '';
  } catch {
    // Not JSON: compared byte for byte.
  }
  const method = event.requestContext.http.method;
  return createHash('sha256').update(`${method}\n${event.rawPath}\n${event.rawQueryString}\n${body}`, 'utf8').digest('hex');
}

export function sealResponse(response: Result, sealKey: Buffer): SealedResponse {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

export function openResponse(sealed: SealedResponse, sealKey: Buffer): Result {
  const decipher = createDecipheriv('aes-256-gcm', sealKey, Buffer.from(sealed.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as Result;
}

/**
 * The middy middleware. `partnerOf` names the authenticated caller's partner
 * (undefined on public routes); it runs after authentication and validation,
 * so a refused request never touches a record.
 */
export function idempotency(
  route: Pick<RouteDefinition, 'method' | 'path'>,
  partnerOf: (event: Event) => string | undefined,
): MiddlewareObj<Event, Result, Error, Context> {
  const held = new WeakMap<Event, Held>();
  return {
    before: async (request) => {
      if (!METHODS.has(route.method)) return undefined;
      const idempotencyKey = idempotencyKeyOf(request.event);
      if (idempotencyKey === undefined) return undefined;
      const partnerId = partnerOf(request.event);
      const { recordId, sealKey } = deriveIdempotencyKeys(idempotencyKey, partnerId, route);
      const key: IdempotencyRecordKey = { partnerId, recordId };
      const fingerprint = requestFingerprint(request.event);
      const lockToken = randomUUID();
      const found = await idempotencyStore().claim({
        key,
        fingerprint,
        lockToken,
        now: new Date(),
        leaseMs: leaseMs(),
        ttlSeconds: IDEMPOTENCY_TTL_SECONDS,
      });
      if (found.outcome === 'claimed') {
        held.set(request.event, { key, lockToken, sealKey });
        return undefined;
      }
      if (found.fingerprint !== fingerprint) {
        throw new UnprocessableContentError('this Idempotency-Key was used for a different request: use a new key for a new request', {
          code: 'idempotency_key_reused',
          details: [{ path: 'headers.idempotency-key', message: 'already used with another method, path or body' }],
        });
      }
      if (found.outcome === 'in_progress') {
        throw new ConflictError('a request with this Idempotency-Key is still being processed: retry in a moment', { code: 'idempotency_request_in_progress' });
      }
      const replayed = openResponse(found.response, sealKey);
      return { ...replayed, headers: { ...replayed.headers, [REPLAYED_HEADER]: 'true' } };
    },
    after: async (request) => {
      const claim = held.get(request.event);
      if (!claim) return;
      held.delete(request.event);
      const response = request.response;
      const status = response?.statusCode ?? 200;
      const keep = response !== null && response !== undefined && status >= 200 && status < 300 && Buffer.byteLength(response.body ?? '') <= MAX_KEPT_ANSWER_BYTES;
      try {
        if (keep) await idempotencyStore().complete(claim.key, claim.lockToken, sealResponse(response, claim.sealKey));
        else await idempotencyStore().release(claim.key, claim.lockToken);
      } catch (error) {
        // The route has run: its answer stands. A retry waits for the lease to lapse, then runs again.
        logger.warn('could not settle an idempotency claim', { error: error as Error });
      }
    },
    onError: async (request) => {
      const claim = held.get(request.event);
      if (!claim) return;
      held.delete(request.event);
      try {
        await idempotencyStore().release(claim.key, claim.lockToken);
      } catch (error) {
        // The claim lapses with its lease; the request's own error is what the caller must see.
        logger.warn('could not release an idempotency claim', { error: error as Error });
      }
    },
  };
}
