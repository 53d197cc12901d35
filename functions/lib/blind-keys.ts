import { type Agreement, termsOf } from '../../shared/agreement.ts';
import {
  type AgreementBlindKeys,
  type BlindKey,
  blindKeyFingerprint,
  type BlindKeyFingerprints,
  type PartyBlindKey,
  type RunBlindKeys,
} from '../../shared/blind/keys.ts';
import type { UploadSlotRequest } from '../../shared/contributions/contribution.ts';
import { ConflictError, ValidationError } from '../../shared/errors.ts';
import type { Run } from '../../shared/run.ts';
import { ENV } from '../../infra/definitions.ts';
import type { Caller } from '../store/partner-store.ts';
import { DynamoRunBlindKeysStore } from '../store/run-blind-keys-store.ts';
import { dynamodb } from './clients.ts';
import { requireEnv } from './config.ts';
import { partnerStore } from './stores.ts';

/**
 * Blind-matching keys on the server: a partner's public key in force (and
 * its history), and the pair of keys each run uses. A run's keys are fixed
 * the first time a party asks for a blind upload slot that names the keys in
 * force; both sides' contributions to the run are then made with those, even
 * if a party registers a newer key meanwhile (that one serves the next run).
 */

let runKeys: DynamoRunBlindKeysStore | undefined;

export function runBlindKeysStore(): DynamoRunBlindKeysStore {
  runKeys ??= new DynamoRunBlindKeysStore(dynamodb, requireEnv(ENV.tableName));
  return runKeys;
}

export interface RegisteredBlindKey {
  key: BlindKey;
  /** False when the same key was in force already. */
  changed: boolean;
}

/** Registers a (validated) public key as the caller's partner's blind key in force; registering the key in force again changes nothing. */
export async function registerBlindKey(caller: Caller, publicKey: string, now: Date): Promise<RegisteredBlindKey> {
  const store = partnerStore();
  const current = await store.getBlindKey(caller.partnerId);
  const fingerprint = blindKeyFingerprint(publicKey);
  if (current?.fingerprint === fingerprint) return { key: current, changed: false };
  const key: BlindKey = { publicKey, fingerprint, registeredAt: now.toISOString(), registeredBy: caller.keyId };
  await store.putBlindKey(caller.partnerId, key, current);
  return { key, changed: true };
}

function partyKey(key: BlindKey | PartyBlindKey): PartyBlindKey {
  return { publicKey: key.publicKey, fingerprint: key.fingerprint, registeredAt: key.registeredAt };
}

async function keysInForce(agreement: Pick<Agreement, 'proposerId' | 'counterpartyId'>): Promise<{ proposer?: BlindKey; counterparty?: BlindKey }> {
  const [proposer, counterparty] = await Promise.all([
    partnerStore().getBlindKey(agreement.proposerId),
    agreement.counterpartyId === undefined ? undefined : partnerStore().getBlindKey(agreement.counterpartyId),
  ]);
  return { ...(proposer ? { proposer } : {}), ...(counterparty ? { counterparty } : {}) };
}

/** The keys a party derives a run's secret with: the run's fixed keys, or else both parties' keys in force. */
export async function agreementBlindKeys(agreement: Agreement, run: Run | undefined): Promise<AgreementBlindKeys> {
  const fixed = run ? await runBlindKeysStore().get(agreement.id, run.id) : undefined;
  const base = { agreementId: agreement.id, ...(run ? { runId: run.id } : {}) };
  if (fixed) return { ...base, fixed: true, proposer: fixed.proposer, counterparty: fixed.counterparty };
  const current = await keysInForce(agreement);
  return {
    ...base,
    fixed: false,
    ...(current.proposer ? { proposer: partyKey(current.proposer) } : {}),
    ...(current.counterparty ? { counterparty: partyKey(current.counterparty) } : {}),
  };
}

const fingerprints = (keys: Pick<RunBlindKeys, 'proposer' | 'counterparty'>): BlindKeyFingerprints => ({
  proposer: keys.proposer.fingerprint,
  counterparty: keys.counterparty.fingerprint,
});

/**
 * The blind keys an upload slot records, checked against the agreement's
 * mode: none for a clear agreement (which refuses `blindKeys`); for a blind
 * one, the run's keys, which the request must name — fixing them now when
 * this is the run's first blind slot. Nothing is stored when the request is
 * refused.
 */
export async function blindKeysForUploadSlot(agreement: Agreement, run: Run, request: UploadSlotRequest, now: Date): Promise<BlindKeyFingerprints | undefined> {
  const terms = termsOf(agreement.terms);
  if (terms.matching.mode !== 'blind') {
    if (request.blindKeys) {
      throw new ValidationError('this agreement matches in the clear: upload the account list itself, without blindKeys', {
        code: 'not_blind',
        details: [{ path: 'blindKeys', message: 'only for agreements whose terms say matching.mode "blind"' }],
      });
    }
    return undefined;
  }
  const clearOnly = (['columnMapping', 'populationValues', 'defaultPopulation'] as const).filter((field) => request[field] !== undefined);
  if (clearOnly.length > 0) {
    throw new ValidationError(`a blind contribution has fixed columns and populations, made by the client: leave out ${clearOnly.join(', ')}`, {
      code: 'blind_contribution',
      details: clearOnly.map((field) => ({ path: field, message: 'not for a blind contribution' })),
    });
  }
  if (!request.blindKeys) {
    throw new ValidationError(
      `this agreement matches blind: name the keys the run’s secret was derived from in blindKeys (GET /v1/agreements/${agreement.id}/blind-keys?runId=${run.id})`,
      { code: 'blind_keys_required', details: [{ path: 'blindKeys', message: 'required for a blind agreement' }] },
    );
  }
  const store = runBlindKeysStore();
  let fixed = await store.get(agreement.id, run.id);
  if (!fixed) {
    const current = await keysInForce(agreement);
    const missing = (['proposer', 'counterparty'] as const).filter((side) => !current[side]);
    if (missing.length > 0 || !current.proposer || !current.counterparty) {
      throw new ConflictError(`the ${missing.join(' and the ')} of this agreement has registered no blind key yet (PUT /v1/partners/me/blind-key)`, {
        code: 'blind_key_missing',
      });
    }
    const wanted = { proposer: partyKey(current.proposer), counterparty: partyKey(current.counterparty) };
    if (!sameKeys(request.blindKeys, fingerprints(wanted))) throw keysChanged(agreement, run, fingerprints(wanted));
    fixed = await store.fix({ agreementId: agreement.id, runId: run.id, ...wanted, fixedAt: now.toISOString() });
  }
  if (!sameKeys(request.blindKeys, fingerprints(fixed))) throw keysChanged(agreement, run, fingerprints(fixed));
  return fingerprints(fixed);
}

function sameKeys(x: BlindKeyFingerprints, y: BlindKeyFingerprints): boolean {
  return x.proposer === y.proposer && x.counterparty === y.counterparty;
}

function keysChanged(agreement: Agreement, run: Run, keys: BlindKeyFingerprints): ConflictError {
  return new ConflictError(
    `run ${run.id} uses the blind keys ${keys.proposer} (proposer) and ${keys.counterparty} (counterparty): ` +
      `read them with GET /v1/agreements/${agreement.id}/blind-keys?runId=${run.id} and make the contribution again`,
    { code: 'blind_keys_changed' },
  );
}
