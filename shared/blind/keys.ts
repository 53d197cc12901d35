import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { SHA256_HASH_PATTERN } from '../canonical-json.ts';

/**
 * Blind-matching keys: X25519 key pairs. A partner registers its public key
 * with Accord; the private key never leaves the partner (the CLI keeps it in
 * an owner-only file). docs/blind-matching.md explains the scheme.
 *
 * Formats:
 * - public key: the raw 32 bytes (RFC 7748), base64url without padding, 43
 *   characters: what the API takes and shows;
 * - private key: PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), what the CLI stores;
 * - fingerprint: `sha256:` + hex SHA-256 of the raw public key.
 */

export const PUBLIC_KEY_BYTES = 32;
const BASE64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** Why a public key is refused. */
export class BlindKeyError extends Error {
  override readonly name = 'BlindKeyError';
}

/** The public key of a raw base64url X25519 key, checked: 32 bytes, a point that yields a usable shared secret. */
export function publicKeyObject(publicKey: string): KeyObject {
  if (!BASE64URL_32.test(publicKey)) {
    throw new BlindKeyError('must be an X25519 public key: its raw 32 bytes in base64url without padding (43 characters)');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: publicKey }, format: 'jwk' });
  } catch (error) {
    throw new BlindKeyError(`is not an X25519 public key: ${(error as Error).message}`);
  }
  // A low-order point makes every shared secret all zeros (RFC 7748 section 6.1): try one exchange.
  try {
    const probe = generateKeyPairSync('x25519').privateKey;
    if (diffieHellman({ privateKey: probe, publicKey: key }).every((byte) => byte === 0)) throw new Error('all-zero shared secret');
  } catch {
    throw new BlindKeyError('is a low-order X25519 point: no shared secret can be derived from it');
  }
  return key;
}

/** `sha256:` + hex SHA-256 of the raw public key: how runs and contributions name the key they used. */
export function blindKeyFingerprint(publicKey: string): string {
  return `sha256:${createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex')}`;
}

/** The raw public key, base64url, of an X25519 key object (public or private). */
export function rawPublicKey(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'X25519' || typeof jwk.x !== 'string') throw new BlindKeyError('is not an X25519 key');
  return jwk.x;
}

export interface BlindKeyPair {
  /** Raw 32 bytes, base64url: register it with `PUT /v1/partners/me/blind-key`. */
  publicKey: string;
  /** PKCS#8 PEM: keep it in a file only its owner can read; Accord never sees it. */
  privateKeyPem: string;
  fingerprint: string;
}

/** A fresh X25519 key pair, for the CLI (`accord keys blind`). */
export function generateBlindKeyPair(): BlindKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const publicKey = rawPublicKey(privateKey);
  return { publicKey, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), fingerprint: blindKeyFingerprint(publicKey) };
}

/** An X25519 private key from its PKCS#8 PEM; throws BlindKeyError for anything else. */
export function privateKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new BlindKeyError(`the private key cannot be read as PKCS#8 PEM: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'x25519') throw new BlindKeyError(`the private key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not X25519`);
  return key;
}

// ---------------------------------------------------------------------------
// Schemas of the API

export const BlindPublicKeySchema = z
  .string()
  .superRefine((value, ctx) => {
    try {
      publicKeyObject(value);
    } catch (error) {
      if (!(error instanceof BlindKeyError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
    }
  })
  .meta({
    id: 'BlindPublicKey',
    description: 'an X25519 public key: its raw 32 bytes (RFC 7748) in base64url without padding, 43 characters',
    example: 'hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo',
  });

export const BlindKeyFingerprintSchema = z
  .string()
  .regex(SHA256_HASH_PATTERN, 'must be a key fingerprint: sha256: and 64 hex digits')
  .meta({ id: 'BlindKeyFingerprint', description: 'sha256: + hex SHA-256 of the raw public key' });

export const PutBlindKeyRequestSchema = z.strictObject({ publicKey: BlindPublicKeySchema }).meta({ id: 'PutBlindKeyRequest' });

/** A registered public key, as stored and shown. */
export const BlindKeySchema = z
  .object({
    publicKey: z.string(),
    fingerprint: BlindKeyFingerprintSchema,
    registeredAt: z.iso.datetime(),
    registeredBy: z.string().describe('the id of the API key that registered it'),
    retiredAt: z.iso.datetime().optional().describe('when a newer key replaced it; runs that fixed this key still use it'),
  })
  .meta({ id: 'BlindKey' });
export type BlindKey = z.output<typeof BlindKeySchema>;

/** The pair of keys a run's blind contributions are made with, by the fingerprints of both public keys. */
export const BlindKeyPairFingerprintsSchema = z
  .strictObject({ proposer: BlindKeyFingerprintSchema, counterparty: BlindKeyFingerprintSchema })
  .meta({ id: 'BlindKeyFingerprints', description: 'the fingerprints of the proposer’s and the counterparty’s public keys' });
export type BlindKeyFingerprints = z.output<typeof BlindKeyPairFingerprintsSchema>;

/** A party's public key as the other party reads it. */
export const PartyBlindKeySchema = z
  .object({ publicKey: z.string(), fingerprint: BlindKeyFingerprintSchema, registeredAt: z.iso.datetime() })
  .meta({ id: 'PartyBlindKey' });
export type PartyBlindKey = z.output<typeof PartyBlindKeySchema>;

/** The two public keys of a run, fixed the first time a party asks for a blind upload slot. */
export const RunBlindKeysSchema = z
  .object({
    agreementId: z.string(),
    runId: z.string(),
    proposer: PartyBlindKeySchema,
    counterparty: PartyBlindKeySchema,
    fixedAt: z.iso.datetime(),
  })
  .meta({ id: 'RunBlindKeys' });
export type RunBlindKeys = z.output<typeof RunBlindKeysSchema>;

/**
 * What `GET /v1/agreements/{agreementId}/blind-keys` answers: the keys to
 * derive a run's secret with. With a run whose keys are fixed, those (even if
 * a party registered a newer key since); otherwise each party's key in force,
 * absent for a party that has registered none.
 */
export const AgreementBlindKeysSchema = z
  .object({
    agreementId: z.string(),
    runId: z.string().optional(),
    fixed: z.boolean().describe('true: the run’s keys are fixed (its first blind upload slot was made); they no longer change'),
    proposer: PartyBlindKeySchema.optional(),
    counterparty: PartyBlindKeySchema.optional(),
  })
  .meta({ id: 'AgreementBlindKeys' });
export type AgreementBlindKeys = z.output<typeof AgreementBlindKeysSchema>;
