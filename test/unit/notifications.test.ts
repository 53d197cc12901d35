import { createHmac } from 'node:crypto';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.ts';
import {
  afterAttempt,
  buildNotification,
  deterministicEventId,
  encodeHeaderValue,
  generateWebhookSecret,
  isPublicAddress,
  looksLikeWebhookSecret,
  MAX_ATTEMPTS,
  nextAttemptAt,
  nextDueAt,
  NOTIFICATION_TYPES,
  NotificationSchema,
  overallStatus,
  quotedPrintable,
  renderEml,
  rfc5322Date,
  rotateSecrets,
  signatureHeader,
  signingSecrets,
  validateWebhookUrl,
  verifyWebhookSignature,
  webhookBody,
  webhookHeaders,
  webhookView,
} from '../../shared/notifications.ts';

const T0 = new Date('2026-11-23T10:00:00.000Z');
const PARTNER = 'ptn_aaaaaaaaaaaaaaaaaaaa';
const AGREEMENT = 'agr_bbbbbbbbbbbbbbbbbbbb';

function reminder(overrides: Partial<Parameters<typeof buildNotification>[1]> = {}) {
  return buildNotification(
    'contribution.reminder',
    { partnerId: PARTNER, agreementId: AGREEMENT, counterpartyName: 'Globex', deadline: '2026-11-30T17:00:00.000Z', reminderDay: 3, ...overrides },
    T0,
  );
}

describe('notifications', () => {
  it('build for every type, with an event id, a one-line subject and a text', () => {
    for (const type of NOTIFICATION_TYPES) {
      const notification = buildNotification(type, { partnerId: PARTNER, agreementId: AGREEMENT, counterpartyName: 'Globex' }, T0);
      expect(NotificationSchema.parse(notification)).toEqual(notification);
      expect(notification.id).toMatch(/^evt_[0-9a-z]{20}$/);
      expect(notification.subject).not.toMatch(/[\r\n]/);
      expect(notification.text.length, type).toBeGreaterThan(20);
      expect(notification.occurredAt).toBe(T0.toISOString());
      expect(notification.data.agreementId).toBe(AGREEMENT);
    }
  });

  it('say which reminder and which deadline, and keep the facts as data', () => {
    const notification = reminder();
    expect(notification.subject).toContain('2026-11-30T17:00:00.000Z');
    expect(notification.text).toContain('day 3');
    expect(notification.data).toMatchObject({ agreementId: AGREEMENT, reminderDay: 3, counterpartyName: 'Globex' });
  });

  it('flatten control characters of names given by partners (no header injection)', () => {
    const notification = buildNotification('agreement.proposed', { partnerId: PARTNER, counterpartyName: 'Evil\r\nBcc: all@example.com' }, T0);
    expect(notification.subject).toBe('Evil Bcc: all@example.com proposes an account-mapping agreement');
  });

  it('derive a stable event id from what the event is about', () => {
    const a = deterministicEventId('reminder', 'run_x', PARTNER, '3');
    expect(a).toMatch(/^evt_[0-9a-z]{20}$/);
    expect(deterministicEventId('reminder', 'run_x', PARTNER, '3')).toBe(a);
    expect(deterministicEventId('reminder', 'run_x', PARTNER, '7')).not.toBe(a);
  });
});

describe('webhook signatures', () => {
  const secret = generateWebhookSecret();
  const notification = reminder();
  const body = webhookBody(notification);

  it('sign "<t>.<body>" with HMAC-SHA256 like Stripe: t=<unix seconds>,v1=<hex>', () => {
    const header = signatureHeader([secret], body, T0);
    const t = Math.floor(T0.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(webhookHeaders(notification, body, [secret], T0)).toEqual({
      'Accord-Signature': header,
      'Accord-Event-Id': notification.id,
      'Accord-Event-Type': 'contribution.reminder',
    });
    expect(JSON.parse(body)).toMatchObject({ id: notification.id, type: 'contribution.reminder', partnerId: PARTNER, agreementId: AGREEMENT });
  });

  it('verify the exact body within the tolerance', () => {
    const header = signatureHeader([secret], body, T0);
    expect(verifyWebhookSignature(secret, header, body, new Date(T0.getTime() + 299_000))).toEqual({ valid: true, timestamp: Math.floor(T0.getTime() / 1000) });
  });

  it('refuse a tampered body, a wrong secret, and a malformed or missing header', () => {
    const header = signatureHeader([secret], body, T0);
    expect(verifyWebhookSignature(secret, header, body.replace('Globex', 'Globez'), T0)).toEqual({ valid: false, reason: 'no_matching_signature' });
    expect(verifyWebhookSignature(generateWebhookSecret(), header, body, T0)).toEqual({ valid: false, reason: 'no_matching_signature' });
    const tamperedTime = header.replace(/^t=(\d+)/, (_, t: string) => `t=${Number(t) + 1}`);
    expect(verifyWebhookSignature(secret, tamperedTime, body, T0)).toEqual({ valid: false, reason: 'no_matching_signature' });
    expect(verifyWebhookSignature(secret, undefined, body, T0)).toEqual({ valid: false, reason: 'malformed_header' });
    expect(verifyWebhookSignature(secret, 'v1=abc', body, T0)).toEqual({ valid: false, reason: 'malformed_header' });
  });

  it('refuse an old (replayed) or future timestamp outside the tolerance', () => {
    const header = signatureHeader([secret], body, T0);
    expect(verifyWebhookSignature(secret, header, body, new Date(T0.getTime() + 301_000))).toEqual({ valid: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhookSignature(secret, header, body, new Date(T0.getTime() - 301_000))).toEqual({ valid: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhookSignature(secret, header, body, new Date(T0.getTime() + 3_600_000), 7200).valid).toBe(true);
  });

  it('during a rotation, sign with both secrets so a receiver with either verifies', () => {
    const rotated = rotateSecrets({ secret }, T0, generateWebhookSecret());
    expect(rotated.previousSecret).toBe(secret);
    expect(rotated.previousSecretExpiresAt).toBe('2026-11-24T10:00:00.000Z');
    const secrets = signingSecrets(rotated, T0);
    expect(secrets).toEqual([rotated.secret, secret]);
    const header = signatureHeader(secrets, body, T0);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyWebhookSignature(secret, header, body, T0).valid).toBe(true);
    expect(verifyWebhookSignature(rotated.secret, header, body, T0).valid).toBe(true);
    // A receiver that knows both secrets (mid-switch) verifies too; a stranger does not.
    expect(verifyWebhookSignature([rotated.secret, secret], header, body, T0).valid).toBe(true);
    expect(verifyWebhookSignature([generateWebhookSecret()], header, body, T0).valid).toBe(false);
    // After the grace period only the new secret signs.
    expect(signingSecrets(rotated, new Date('2026-11-24T10:00:00.000Z'))).toEqual([rotated.secret]);
  });

  it('secrets look like whsec_ and 40 characters; the API shows only a hint', () => {
    expect(looksLikeWebhookSecret(secret)).toBe(true);
    const view = webhookView({ url: 'https://hooks.example.com/x', secret, createdAt: T0.toISOString(), updatedAt: T0.toISOString() }, T0);
    expect(JSON.stringify(view)).not.toContain(secret);
    expect(view.secretHint).toBe(`${secret.slice(0, 10)}…`);
  });
});

describe('webhook URLs', () => {
  const onAws = { allowLoopbackHttp: false };
  const local = { allowLoopbackHttp: true };
  const refused = (url: string, policy = onAws) => {
    try {
      validateWebhookUrl(url, policy);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details[0]?.path).toBe('url');
      return (error as ValidationError).message;
    }
    return undefined;
  };

  it('accept https to public hosts', () => {
    expect(validateWebhookUrl('https://hooks.example.com/accord?x=1', onAws)).toBe('https://hooks.example.com/accord?x=1');
    expect(validateWebhookUrl('https://93.184.215.14:8443/x', onAws)).toBe('https://93.184.215.14:8443/x');
  });

  it.each([
    ['http://hooks.example.com/x', /https/],
    ['ftp://hooks.example.com/x', /https/],
    ['not a url', /absolute URL/],
    ['https://user:pw@hooks.example.com/', /credentials/],
    ['https://127.0.0.1/x', /loopback/],
    ['https://localhost/x', /loopback/],
    ['https://[::1]/x', /loopback/],
    ['https://0x7f.1/x', /loopback/],
    ['https://10.1.2.3/x', /private/],
    ['https://169.254.169.254/latest/meta-data', /private/],
    ['https://[::ffff:10.0.0.1]/x', /private/],
    ['https://[fd00::1]/x', /private/],
    ['https://metadata.google.internal/x', /public host/],
    ['https://printer.local/x', /public host/],
    ['https://intranet/x', /public host/],
  ])('refuse %s on AWS', (url, message) => {
    expect(refused(url)).toMatch(message);
  });

  it('allow http on loopback only when the local flag says so', () => {
    expect(validateWebhookUrl('http://127.0.0.1:4567/hook', local)).toBe('http://127.0.0.1:4567/hook');
    expect(validateWebhookUrl('http://localhost:4567/hook', local)).toBe('http://localhost:4567/hook');
    expect(refused('http://10.0.0.1/hook', local)).toMatch(/https/);
    expect(refused('http://127.0.0.1:4567/hook')).toMatch(/https/);
  });

  it('classify addresses', () => {
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('2606:4700::1111')).toBe(true);
    for (const address of ['127.0.0.1', '10.0.0.1', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', 'not-an-ip']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });
});

describe('retries', () => {
  it('back off 1 min, 5 min, 30 min, 2 h, 6 h: six attempts, then none', () => {
    expect(MAX_ATTEMPTS).toBe(6);
    const delays = [1, 2, 3, 4, 5].map((attempts) => (nextAttemptAt(attempts, T0)?.getTime() ?? 0) - T0.getTime());
    expect(delays).toEqual([60_000, 300_000, 1_800_000, 7_200_000, 21_600_000]);
    expect(nextAttemptAt(6, T0)).toBeUndefined();
  });

  it('spread retries by at most 10% with an injected jitter', () => {
    expect(nextAttemptAt(1, T0, 0)?.getTime()).toBe(T0.getTime() + 54_000);
    expect(nextAttemptAt(1, T0, 0.999_999)?.getTime()).toBe(T0.getTime() + 66_000);
  });

  it('track each channel: delivered, pending with the next time, dead after the last attempt', () => {
    let webhook = { state: 'pending' as const, attempts: 0, nextAttemptAt: T0.toISOString() } as Parameters<typeof afterAttempt>[0];
    const email = afterAttempt({ state: 'pending', attempts: 0 }, { ok: true }, T0);
    expect(email).toEqual({ state: 'delivered', attempts: 1, lastAttemptAt: T0.toISOString(), deliveredAt: T0.toISOString() });
    let now = T0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      webhook = afterAttempt(webhook, { ok: false, error: 'HTTP 500' }, now);
      expect(overallStatus({ email, webhook })).toBe(attempt < MAX_ATTEMPTS ? 'pending' : 'dead');
      if (webhook.nextAttemptAt) now = new Date(webhook.nextAttemptAt);
    }
    expect(webhook).toMatchObject({ state: 'dead', attempts: 6, lastError: 'HTTP 500' });
    expect(webhook.nextAttemptAt).toBeUndefined();
    expect(nextDueAt({ email, webhook })).toBeUndefined();
    expect(overallStatus({ email, webhook: { state: 'skipped', attempts: 0 } })).toBe('delivered');
  });
});

describe('the e-mail', () => {
  const from = 'Accord <notifications@accord.example.com>';

  it('is an RFC 5322 message that a MIME parser reads back: headers, UTF-8 subject, body', async () => {
    const notification = reminder({ counterpartyName: 'Société Générale — 東京', agreementName: 'Q4 mapping ✓' });
    const eml = renderEml(notification, { from, to: 'partners@acme.com' });
    expect(eml).toMatch(/^From: Accord <notifications@accord\.example\.com>\r\n/);
    expect(eml).not.toMatch(/[^\r]\n/);
    const headerBlock = eml.split('\r\n\r\n')[0] ?? '';
    expect(headerBlock).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    for (const line of eml.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(headerBlock).toContain(`Message-ID: <${notification.id}@accord.example.com>`);
    expect(headerBlock).toContain('Date: Mon, 23 Nov 2026 10:00:00 +0000');

    const parsed = await PostalMime.parse(eml);
    expect(parsed.subject).toBe(notification.subject);
    expect(parsed.subject).toContain('Q4 mapping ✓');
    expect(parsed.from).toMatchObject({ name: 'Accord', address: 'notifications@accord.example.com' });
    expect(parsed.to?.[0]).toMatchObject({ address: 'partners@acme.com' });
    expect(parsed.messageId).toBe(`<${notification.id}@accord.example.com>`);
    expect(new Date(parsed.date ?? '').toISOString()).toBe(T0.toISOString());
    expect(parsed.text).toContain(notification.text);
    expect(parsed.text).toContain('Société Générale — 東京');
    expect(parsed.headers.find((h) => h.key === 'x-accord-event-id')?.value).toBe(notification.id);
  });

  it('keeps an ASCII subject readable', () => {
    expect(encodeHeaderValue('Reminder: contribution due')).toBe('Reminder: contribution due');
  });

  it('encodes long UTF-8 subjects in words of at most 75 characters without splitting a character', async () => {
    const subject = 'Überprüfung der Vereinbarung mit der Müller & Söhne GmbH — bitte bis Freitag bestätigen 🙂';
    const encoded = encodeHeaderValue(subject);
    for (const word of encoded.split('\r\n ')) expect(word.length).toBeLessThanOrEqual(75);
    const parsed = await PostalMime.parse(`Subject: ${encoded}\r\n\r\nx\r\n`);
    expect(parsed.subject).toBe(subject);
  });

  it('quoted-printable keeps lines short and escapes what must be', () => {
    const text = `${'a'.repeat(100)} = ü \nend `;
    const encoded = quotedPrintable(text);
    for (const line of encoded.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(encoded).toContain('=3D');
    expect(encoded).toContain('=C3=BC');
    expect(encoded.endsWith('end=20')).toBe(true);
  });

  it('refuses an address that would inject headers', () => {
    expect(() => renderEml(reminder(), { from, to: 'a@b.com\r\nBcc: x@y.com' })).toThrow(/not an e-mail address/);
  });

  it('dates in RFC 5322 form', () => {
    expect(rfc5322Date(new Date('2027-01-03T04:05:06Z'))).toBe('Sun, 03 Jan 2027 04:05:06 +0000');
  });
});
