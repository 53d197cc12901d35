import { createHash, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import type { Side } from '../terms.ts';
import { blindKeyFingerprint, type BlindKeyFingerprints, privateKeyFromPem, publicKeyObject, rawPublicKey } from './keys.ts';

/**
 * The secret of one run of one agreement, which only its two parties can
 * compute:
 *
 *   shared = X25519(my private key, their public key)          (RFC 7748; equal on both sides)
 *   salt   = SHA-256("accord blind v1\n" + agreementId + "\n" + runId)
 *   info   = "accord blind v1 token key\n" + proposer's public key + "\n" + counterparty's public key
 *   secret = HKDF-SHA256(shared, salt, info, 32 bytes)          (RFC 5869)
 *
 * The salt binds the secret to the agreement and the run, so tokens of the
 * same account differ between agreements and between runs; the info binds it
 * to both public keys (base64url), proposer first, so both sides feed the same
 * bytes. Nothing of it is sent anywhere.
 */

export const BLIND_LABEL = 'accord blind v1';
export const SECRET_BYTES = 32;

export interface RunSecret {
  /** The 32-byte token key: HMAC-SHA256 key of every token of this run. */
  key: Buffer;
  agreementId: string;
  runId: string;
  /** The fingerprints of the keys it was derived from: send them with the upload slot request (`blindKeys`). */
  keys: BlindKeyFingerprints;
}

export interface DeriveRunSecretInput {
  /** My X25519 private key: a KeyObject or its PKCS#8 PEM. */
  privateKey: KeyObject | string;
  /** My side in the agreement. */
  side: Side;
  /** The other side's registered public key (raw, base64url), as the run's blind keys name it. */
  theirPublicKey: string;
  agreementId: string;
  runId: string;
}

export function runSalt(agreementId: string, runId: string): Buffer {
  return createHash('sha256').update(`${BLIND_LABEL}\n${agreementId}\n${runId}`).digest();
}

export function runInfo(proposerPublicKey: string, counterpartyPublicKey: string): Buffer {
  return Buffer.from(`${BLIND_LABEL} token key\n${proposerPublicKey}\n${counterpartyPublicKey}`);
}

/** The run's secret, as either party derives it from its own private key and the other's public key. */
export function deriveRunSecret(input: DeriveRunSecretInput): RunSecret {
  const privateKey = typeof input.privateKey === 'string' ? privateKeyFromPem(input.privateKey) : input.privateKey;
  const mine = rawPublicKey(privateKey);
  const shared = diffieHellman({ privateKey, publicKey: publicKeyObject(input.theirPublicKey) });
  if (shared.every((byte) => byte === 0)) throw new Error('the X25519 exchange gave an all-zero secret');
  const [proposer, counterparty] = input.side === 'proposer' ? [mine, input.theirPublicKey] : [input.theirPublicKey, mine];
  const key = Buffer.from(hkdfSync('sha256', shared, runSalt(input.agreementId, input.runId), runInfo(proposer, counterparty), SECRET_BYTES));
  shared.fill(0);
  return {
    key,
    agreementId: input.agreementId,
    runId: input.runId,
    keys: { proposer: blindKeyFingerprint(proposer), counterparty: blindKeyFingerprint(counterparty) },
  };
}
