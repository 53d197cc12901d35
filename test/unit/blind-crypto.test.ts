import { createHash, createHmac, diffieHellman, generateKeyPairSync, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BlindKeyError,
  blindKeyFingerprint,
  BlindPublicKeySchema,
  generateBlindKeyPair,
  privateKeyFromPem,
  publicKeyObject,
  rawPublicKey,
} from '../../shared/blind/keys.ts';
import { deriveRunSecret, runInfo, runSalt } from '../../shared/blind/secret.ts';
import { blindToken, domainLabel, TOKEN_LENGTH, TOKEN_PATTERN } from '../../shared/blind/tokens.ts';

const AGR = 'agr_0123456789abcdefghij';
const RUN = 'run_0123456789abcdefghij';

function parties() {
  const proposer = generateBlindKeyPair();
  const counterparty = generateBlindKeyPair();
  return { proposer, counterparty };
}

describe('blind keys', () => {
  it('makes X25519 pairs: a 43-character raw public key, a PKCS#8 PEM private key and a sha256 fingerprint', () => {
    const pair = generateBlindKeyPair();
    expect(pair.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(pair.publicKey, 'base64url')).toHaveLength(32);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rawPublicKey(privateKeyFromPem(pair.privateKeyPem))).toBe(pair.publicKey);
    expect(generateBlindKeyPair().publicKey).not.toBe(pair.publicKey);
  });

  it('fingerprints the raw key bytes', () => {
    const { publicKey } = generateBlindKeyPair();
    expect(blindKeyFingerprint(publicKey)).toBe(`sha256:${createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex')}`);
    expect(blindKeyFingerprint(publicKey)).not.toBe(blindKeyFingerprint(generateBlindKeyPair().publicKey));
  });

  it('refuses what is not a usable X25519 public key, saying why', () => {
    const reasons = (value: string) => {
      const result = BlindPublicKeySchema.safeParse(value);
      return result.success ? [] : result.error.issues.map((issue) => issue.message);
    };
    expect(reasons(generateBlindKeyPair().publicKey)).toEqual([]);
    expect(reasons('')[0]).toMatch(/raw 32 bytes in base64url/);
    expect(reasons(Buffer.alloc(31, 7).toString('base64url'))[0]).toMatch(/43 characters/);
    const pem = generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(reasons(pem)[0]).toMatch(/raw 32 bytes/);
    // The all-zero point has low order: every exchange with it gives zeros.
    expect(reasons(Buffer.alloc(32).toString('base64url'))[0]).toMatch(/low-order/);
  });

  it('refuses a private key that is not X25519 PKCS#8', () => {
    expect(() => privateKeyFromPem('not a key')).toThrow(BlindKeyError);
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => privateKeyFromPem(ed)).toThrow(/ed25519, not X25519/);
  });
});

describe('the run secret', () => {
  it('is the same on both sides, and names the keys it came from', () => {
    const { proposer, counterparty } = parties();
    const mine = deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'proposer', theirPublicKey: counterparty.publicKey, agreementId: AGR, runId: RUN });
    const theirs = deriveRunSecret({ privateKey: counterparty.privateKeyPem, side: 'counterparty', theirPublicKey: proposer.publicKey, agreementId: AGR, runId: RUN });
    expect(mine.key).toHaveLength(32);
    expect(mine.key.equals(theirs.key)).toBe(true);
    expect(mine.keys).toEqual({ proposer: proposer.fingerprint, counterparty: counterparty.fingerprint });
    expect(theirs.keys).toEqual(mine.keys);
  });

  it('is HKDF-SHA256 of the X25519 secret, salted with the agreement and run, bound to both public keys', () => {
    const { proposer, counterparty } = parties();
    const shared = diffieHellman({ privateKey: privateKeyFromPem(proposer.privateKeyPem), publicKey: publicKeyObject(counterparty.publicKey) });
    const salt = createHash('sha256').update(`accord blind v1\n${AGR}\n${RUN}`).digest();
    expect(runSalt(AGR, RUN).equals(salt)).toBe(true);
    const expected = Buffer.from(hkdfSync('sha256', shared, salt, runInfo(proposer.publicKey, counterparty.publicKey), 32));
    const secret = deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'proposer', theirPublicKey: counterparty.publicKey, agreementId: AGR, runId: RUN });
    expect(secret.key.equals(expected)).toBe(true);
    expect(runInfo(proposer.publicKey, counterparty.publicKey).toString()).toBe(`accord blind v1 token key\n${proposer.publicKey}\n${counterparty.publicKey}`);
  });

  it('differs between agreements, between runs, and with anyone else’s key', () => {
    const { proposer, counterparty } = parties();
    const derive = (agreementId: string, runId: string, theirPublicKey = counterparty.publicKey) =>
      deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'proposer', theirPublicKey, agreementId, runId }).key.toString('hex');
    const base = derive(AGR, RUN);
    expect(derive('agr_zzzzzzzzzzzzzzzzzzzz', RUN)).not.toBe(base);
    expect(derive(AGR, 'run_zzzzzzzzzzzzzzzzzzzz')).not.toBe(base);
    expect(derive(AGR, RUN, generateBlindKeyPair().publicKey)).not.toBe(base);
    // The side is part of the binding: claiming the other side gives another secret.
    expect(deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'counterparty', theirPublicKey: counterparty.publicKey, agreementId: AGR, runId: RUN }).key.toString('hex')).not.toBe(base);
  });
});

describe('tokens', () => {
  const secret = Buffer.alloc(32, 1);

  it('are 22 base64url characters: the first 16 bytes of HMAC-SHA256 over purpose and key', () => {
    const token = blindToken(secret, 'domain', 'acme.com');
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(token).toMatch(TOKEN_PATTERN);
    expect(token).toBe(createHmac('sha256', secret).update('domain\u0000acme.com').digest().subarray(0, 16).toString('base64url'));
  });

  it('keep purposes apart, and depend on the secret', () => {
    expect(blindToken(secret, 'domain', 'acme')).not.toBe(blindToken(secret, 'name', 'acme'));
    expect(blindToken(secret, 'label', 'acme')).not.toBe(blindToken(secret, 'name', 'acme'));
    expect(blindToken(Buffer.alloc(32, 2), 'domain', 'acme.com')).not.toBe(blindToken(secret, 'domain', 'acme.com'));
  });

  it('of the same account differ between agreements and between runs', () => {
    const { proposer, counterparty } = parties();
    const token = (agreementId: string, runId: string) =>
      blindToken(deriveRunSecret({ privateKey: proposer.privateKeyPem, side: 'proposer', theirPublicKey: counterparty.publicKey, agreementId, runId }).key, 'domain', 'acme.com');
    const tokens = new Set([token(AGR, RUN), token(AGR, 'run_zzzzzzzzzzzzzzzzzzzz'), token('agr_zzzzzzzzzzzzzzzzzzzz', RUN)]);
    expect(tokens.size).toBe(3);
  });

  it('read the label before the public suffix as the clear matcher’s website veto does', () => {
    expect(domainLabel('acme.co.uk')).toBe('acme');
    expect(domainLabel('acme.de')).toBe('acme');
    expect(domainLabel('nordvik-logistics.no')).toBe('nordvik-logistics');
  });
});
