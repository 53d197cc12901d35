import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { ValidationError } from './errors.ts';
import { idPattern, newId, randomToken } from './ids.ts';

/**
 * Notifications: what Accord tells a partner's people, and how.
 *
 * Every event that needs a person becomes a `Notification` addressed to one
 * partner. It is put in the outbox (in the same transaction as the change it
 * announces), and a dispatcher delivers it to the partner's contact e-mail and,
 * when the partner registered one, to its webhook. This module is the pure
 * part: types and their plain-language texts, webhook signing and
 * verification, the RFC 5322 rendering of the e-mail, the retry schedule and
 * the webhook URL rules. No AWS, no clock, no randomness beyond ids and secrets.
 */

// ---- types of notification ----

export const NOTIFICATION_TYPES = [
  'agreement.proposed',
  'agreement.invited',
  'agreement.countered',
  'agreement.approval_needed',
  'agreement.approved',
  'agreement.declined',
  'agreement.withdrawn',
  'agreement.expired',
  'run.opened',
  'contribution.reminder',
  'contribution.deadline_near',
  'contribution.accepted',
  'contribution.rejected',
  'run.lapsed',
  'results.approval_needed',
  'results.approval_reminder',
  'results.approved_by_partner',
  'results.released',
  'results.withheld',
  'results.match_flagged',
  'results.expired',
  'referral.proposed',
  'referral.accepted',
  'referral.declined',
  'referral.opportunity',
  'referral.won',
  'referral.lost',
  'referral.disputed',
  'referral.resolution_proposed',
  'referral.resolved',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export const NotificationTypeSchema = z.enum(NOTIFICATION_TYPES).meta({
  id: 'NotificationType',
  description: 'what happened; also sent as the Accord-Event-Type header of a webhook',
});

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const NotificationIdSchema = z.string().regex(idPattern('event'), 'must be an event id (evt_...)');

export interface Notification {
  /** `evt_...`: unique per notification; receivers de-duplicate on it (a webhook may be delivered more than once). */
  id: string;
  /** The partner the notification is for (for an invitation: the inviting partner, in whose outbox it waits). */
  partnerId: string;
  /** Set when the recipient is not a partner yet (an invitation): the e-mail goes here, and no webhook is called. */
  recipientEmail?: string;
  type: NotificationType;
  agreementId?: string;
  /** ISO-8601 UTC. */
  occurredAt: string;
  /** One line, for the e-mail subject. */
  subject: string;
  /** Plain-language body, for the e-mail and the webhook. */
  text: string;
  /** Machine-readable facts (ids, dates, counts); never account data. */
  data: Record<string, JsonValue>;
}

export const NotificationSchema = z
  .object({
    id: NotificationIdSchema,
    partnerId: z.string(),
    recipientEmail: z.string().optional(),
    type: NotificationTypeSchema,
    agreementId: z.string().optional(),
    occurredAt: z.iso.datetime(),
    subject: z.string(),
    text: z.string(),
    data: z.record(z.string(), z.json()),
  })
  .meta({ id: 'Notification', description: 'an event that needs a person, as e-mailed and posted to the webhook' });

/** What the texts of a notification may mention. Every field is optional; the texts fall back on neutral wording. */
export interface NotificationFacts {
  /** The other party, as the recipient knows it. */
  counterpartyName?: string;
  /** A name of the agreement for people, if it has one. */
  agreementName?: string;
  runId?: string;
  termsVersion?: number;
  /** ISO-8601: the deadline of the run or of the approval. */
  deadline?: string;
  /** 1, 3, 7...: which reminder this is, in days since the run opened. */
  reminderDay?: number;
  /** Why, for declines, withdrawals and withheld results. */
  reason?: string;
  /** The code an invited company signs up with. */
  invitationCode?: string;
  /** The referral concerned (`ref_...`). */
  referralId?: string;
}

export interface NotificationInput extends NotificationFacts {
  partnerId: string;
  recipientEmail?: string;
  agreementId?: string;
  /** Extra machine-readable facts; merged over the facts above. */
  data?: Record<string, JsonValue>;
}

const TEXTS: Record<NotificationType, (f: NotificationFacts, agreement: string) => { subject: string; text: string }> = {
  'agreement.proposed': (f, a) => ({
    subject: `${f.counterpartyName ?? 'A partner'} proposes an account-mapping agreement`,
    text: `${f.counterpartyName ?? 'A partner'} proposed ${a} to you. Read its terms and approve them, propose changes, or decline.`,
  }),
  'agreement.invited': (f, a) => ({
    subject: `${f.counterpartyName ?? 'A company'} invites you to an account-mapping agreement on Accord`,
    text: `${f.counterpartyName ?? 'A company'} proposed ${a} to your company and invited you to join Accord to review it. Sign up (POST /v1/partners) with this address as the contact e-mail and the invitation code ${f.invitationCode ?? '(in the invitation)'}; your company then becomes the counterparty and can read the terms, approve them, propose changes or decline. The code is valid for 30 days. Nothing is shared before both sides approve.`,
  }),
  'agreement.countered': (f, a) => ({
    subject: `${f.counterpartyName ?? 'Your partner'} proposed new terms`,
    text: `${f.counterpartyName ?? 'Your partner'} proposed version ${f.termsVersion ?? 'a new version'} of the terms of ${a}. Earlier approvals no longer count: read the new terms and approve them, counter, or decline.`,
  }),
  'agreement.approval_needed': (_f, a) => ({
    subject: `Approval needed: terms of ${a}`,
    text: `The terms of ${a} wait for your approval${_f.deadline ? ` until ${_f.deadline}` : ''}. An approver or admin of your company can approve them, propose changes, or decline.`,
  }),
  'agreement.approved': (f, a) => ({
    subject: `Both sides approved ${a}`,
    text: `You and ${f.counterpartyName ?? 'your partner'} approved the same terms of ${a}. Contributions are due${f.deadline ? ` by ${f.deadline}` : ' on the schedule of the terms'}.`,
  }),
  'agreement.declined': (f, a) => ({
    subject: `${capitalise(a)} was declined`,
    text: `${f.counterpartyName ?? 'A party'} declined ${a}.${f.reason ? ` Reason given: ${f.reason}` : ''} Nothing was shared.`,
  }),
  'agreement.withdrawn': (f, a) => ({
    subject: `${capitalise(a)} was withdrawn`,
    text: `${f.counterpartyName ?? 'A party'} withdrew ${a}.${f.reason ? ` Reason given: ${f.reason}` : ''}`,
  }),
  'agreement.expired': (_f, a) => ({
    subject: `${capitalise(a)} expired`,
    text: `${capitalise(a)} expired before both sides approved its terms. Nothing was shared.`,
  }),
  'run.opened': (f, a) => ({
    subject: `Contributions are due for ${a}`,
    text: `A new run of ${a} is open. Upload your account list${f.deadline ? ` by ${f.deadline}` : ''}; nobody sees anything until both sides have contributed and approved the results.`,
  }),
  'contribution.reminder': (f, a) => ({
    subject: `Reminder: your contribution to ${a} is due${f.deadline ? ` by ${f.deadline}` : ''}`,
    text: `Your company has not yet uploaded its account list for ${a}${f.reminderDay !== undefined ? ` (day ${f.reminderDay} of the run)` : ''}.${f.deadline ? ` The deadline is ${f.deadline}; after it the run lapses.` : ''}`,
  }),
  'contribution.deadline_near': (f, a) => ({
    subject: `Deadline near: ${a} lapses${f.deadline ? ` at ${f.deadline}` : ' soon'} without your contribution`,
    text: `Your company's contribution to ${a} is still missing and the deadline is near${f.deadline ? ` (${f.deadline})` : ''}. If nobody uploads it, the run lapses and nothing is matched.`,
  }),
  'run.lapsed': (_f, a) => ({
    subject: `A run of ${a} lapsed`,
    text: `The deadline of the run of ${a} passed before both contributions arrived. Nothing was matched and nothing was shared.`,
  }),
  'results.approval_needed': (_f, a) => ({
    subject: `Approval needed: results of ${a}`,
    text: `The matching of ${a} is done. Both sides must approve the results before either sees them; an approver or admin of your company can approve or decline.`,
  }),
  'results.approval_reminder': (f, a) => ({
    subject: `Reminder: the results of ${a} wait for your approval${f.deadline ? ` until ${f.deadline}` : ''}`,
    text: `Your company has not yet approved the results of ${a}. Preview what each side will see and approve or decline${f.deadline ? ` by ${f.deadline}` : ''}; without both approvals by the deadline the results are withheld and nothing is released.`,
  }),
  'results.approved_by_partner': (f, a) => ({
    subject: `${f.counterpartyName ?? 'Your partner'} approved the results of ${a}`,
    text: `${f.counterpartyName ?? 'Your partner'} approved the results of ${a}. They are released as soon as your company approves the same results too.`,
  }),
  'results.released': (f, a) => ({
    subject: `Results of ${a} are released`,
    text: `Both sides approved the results of ${a}. Your view of the overlap with ${f.counterpartyName ?? 'your partner'} is ready, as the terms allow${f.deadline ? `, until ${f.deadline}` : ''}.`,
  }),
  'results.withheld': (f, a) => ({
    subject: `Results of ${a} were withheld`,
    text: `The results of ${a} were withheld: nothing is released, and they are deleted.${f.reason ? ` Why: ${f.reason}` : ''}`,
  }),
  'results.match_flagged': (f, a) => ({
    subject: `A match of ${a} was flagged as wrong`,
    text: `${f.counterpartyName ?? 'Your partner'} flagged a released match of ${a} as wrong${f.reason ? `: ${f.reason}` : ''}. The pair is left out of later runs.`,
  }),
  'results.expired': (_f, a) => ({
    subject: `Results of ${a} expired`,
    text: `The results of a run of ${a} reached the end of their retention under the terms and were deleted.`,
  }),
  'referral.proposed': (f, a) => ({
    subject: `${f.counterpartyName ?? 'Your partner'} registered a referral under ${a}`,
    text: `${f.counterpartyName ?? 'Your partner'} registered referral ${f.referralId ?? ''} on an account you both have, under ${a}. Read it and accept it if the introduction happened as written, or decline it.`,
  }),
  'referral.accepted': (f, a) => ({
    subject: `Referral ${f.referralId ?? ''} was accepted`,
    text: `${f.counterpartyName ?? 'Your partner'} accepted referral ${f.referralId ?? ''} under ${a}.`,
  }),
  'referral.declined': (f, a) => ({
    subject: `Referral ${f.referralId ?? ''} was declined`,
    text: `Referral ${f.referralId ?? ''} under ${a} was declined.${f.reason ? ` Reason given: ${f.reason}` : ''}`,
  }),
  'referral.opportunity': (f, a) => ({
    subject: `Referral ${f.referralId ?? ''} is an open opportunity`,
    text: `${f.counterpartyName ?? 'Your partner'} recorded an open deal on referral ${f.referralId ?? ''} under ${a}.`,
  }),
  'referral.won': (f, a) => ({
    subject: `Referral ${f.referralId ?? ''} was won`,
    text: `${f.counterpartyName ?? 'Your partner'} marked referral ${f.referralId ?? ''} under ${a} won. Any fee or revenue share it owes under the terms is on the agreement's ledger.`,
  }),
  'referral.lost': (f, a) => ({
    subject: `Referral ${f.referralId ?? ''} was lost`,
    text: `${f.counterpartyName ?? 'Your partner'} marked referral ${f.referralId ?? ''} under ${a} lost.${f.reason ? ` Reason given: ${f.reason}` : ''}`,
  }),
  'referral.disputed': (f, a) => ({
    subject: `Referral ${f.referralId ?? ''} is disputed`,
    text: `${f.counterpartyName ?? 'Your partner'} disputed referral ${f.referralId ?? ''} under ${a}.${f.reason ? ` Reason given: ${f.reason}` : ''} It stays where it is until both sides settle the dispute.`,
  }),
  'referral.resolution_proposed': (f, a) => ({
    subject: `A resolution of the dispute over referral ${f.referralId ?? ''} waits for you`,
    text: `${f.counterpartyName ?? 'Your partner'} proposed how to settle the dispute over referral ${f.referralId ?? ''} under ${a}. Name the same resolution to agree, or propose another.`,
  }),
  'referral.resolved': (f, a) => ({
    subject: `The dispute over referral ${f.referralId ?? ''} is settled`,
    text: `The dispute over referral ${f.referralId ?? ''} under ${a} is settled; the ledger shows any change.`,
  }),
  'contribution.accepted': (f, a) => ({
    subject: `Your contribution to ${a} was accepted`,
    text: `Your account list for ${a} passed validation${f.reason ? `: ${f.reason}` : ''}. It counts for this run; a newer valid upload before the deadline replaces it.`,
  }),
  'contribution.rejected': (f, a) => ({
    subject: `Your contribution to ${a} was rejected`,
    text: `Your account list for ${a} was not accepted${f.reason ? `: ${f.reason}` : ''}. Fix the file and upload it again${f.deadline ? ` before ${f.deadline}` : ' before the deadline'}; the run keeps waiting.`,
  }),
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One line: no control characters (they would break headers and logs), at most `max` characters. */
function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Builds a notification of `type` for one recipient, with its plain-language subject and text. */
export function buildNotification(type: NotificationType, input: NotificationInput, occurredAt: Date, options: { id?: string } = {}): Notification {
  const { partnerId, recipientEmail, agreementId, data, ...facts } = input;
  const cleanFacts: NotificationFacts = {
    ...facts,
    ...(facts.counterpartyName !== undefined ? { counterpartyName: oneLine(facts.counterpartyName, 200) } : {}),
    ...(facts.agreementName !== undefined ? { agreementName: oneLine(facts.agreementName, 200) } : {}),
    ...(facts.reason !== undefined ? { reason: oneLine(facts.reason, 1000) } : {}),
  };
  const agreement = cleanFacts.agreementName ? `the agreement "${cleanFacts.agreementName}"` : agreementId ? `agreement ${agreementId}` : 'the agreement';
  const { subject, text } = TEXTS[type](cleanFacts, agreement);
  const factData = Object.fromEntries(Object.entries(cleanFacts).filter(([, value]) => value !== undefined)) as Record<string, JsonValue>;
  return {
    id: options.id ?? newId('event'),
    partnerId,
    ...(recipientEmail ? { recipientEmail } : {}),
    type,
    ...(agreementId ? { agreementId } : {}),
    occurredAt: occurredAt.toISOString(),
    subject: oneLine(subject, 250),
    text,
    data: { ...(agreementId ? { agreementId } : {}), ...factData, ...data },
  };
}

/**
 * An event id derived from what the event is about (`deterministicEventId('reminder', runId, partnerId, '3')`),
 * for producers that may run twice: the second enqueue of the same id and time is refused by the outbox, and a
 * receiver that sees the id twice knows it is the same event.
 */
export function deterministicEventId(...parts: readonly string[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts), 'utf8').digest();
  let out = '';
  for (let i = 0; out.length < 20; i++) out += ((digest[i] ?? 0) % 36).toString(36);
  return `evt_${out}`;
}

// ---- webhook payload and signatures ----

export const SIGNATURE_HEADER = 'Accord-Signature';
export const EVENT_ID_HEADER = 'Accord-Event-Id';
export const EVENT_TYPE_HEADER = 'Accord-Event-Type';
/** Receivers should refuse signatures whose timestamp is further than this from their clock. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The JSON body posted to a webhook: the notification itself, with a stable key order. */
export function webhookBody(notification: Notification): string {
  const { id, type, occurredAt, partnerId, agreementId, subject, text, data } = notification;
  return JSON.stringify({ id, type, occurredAt, partnerId, ...(agreementId ? { agreementId } : {}), subject, text, data });
}

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * The `Accord-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 * with one `v1=` per secret (the current one first; during a rotation also the previous one).
 */
export function signatureHeader(secrets: readonly string[], body: string, now: Date): string {
  if (secrets.length === 0) throw new Error('at least one secret is needed to sign');
  const t = Math.floor(now.getTime() / 1000);
  return [`t=${t}`, ...secrets.map((secret) => `v1=${hmacHex(secret, t, body)}`)].join(',');
}

/** The headers of a webhook delivery, apart from content-type and user-agent. */
export function webhookHeaders(notification: Notification, body: string, secrets: readonly string[], now: Date): Record<string, string> {
  return {
    [SIGNATURE_HEADER]: signatureHeader(secrets, body, now),
    [EVENT_ID_HEADER]: notification.id,
    [EVENT_TYPE_HEADER]: notification.type,
  };
}

export type SignatureVerification =
  | { valid: true; timestamp: number }
  | { valid: false; reason: 'malformed_header' | 'timestamp_outside_tolerance' | 'no_matching_signature' };

/**
 * Verifies an `Accord-Signature` header the way a receiver should: the
 * timestamp must be within `toleranceSeconds` of `now` (a replayed request is
 * refused once it is older), and at least one `v1` signature must equal the
 * HMAC of `"<t>.<body>"` under one of `secrets` (a receiver in the middle of a
 * rotation passes both its secrets). Compares in constant time. `body` must
 * be the raw request body, byte for byte, not re-serialised JSON.
 */
export function verifyWebhookSignature(
  secrets: string | readonly string[],
  header: string | undefined,
  body: string,
  now: Date,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): SignatureVerification {
  const candidates = typeof secrets === 'string' ? [secrets] : secrets;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of (header ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (name === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return { valid: false, reason: 'malformed_header' };
  if (Math.abs(Math.floor(now.getTime() / 1000) - timestamp) > toleranceSeconds) return { valid: false, reason: 'timestamp_outside_tolerance' };
  for (const secret of candidates) {
    const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
    // Check every signature, so the time taken does not tell which one matched.
    let matched = false;
    for (const signature of signatures) matched = timingSafeEqual(expected, signature) || matched;
    if (matched) return { valid: true, timestamp };
  }
  return { valid: false, reason: 'no_matching_signature' };
}

// ---- webhook secrets ----

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const WEBHOOK_SECRET_PATTERN = /^whsec_[0-9a-z]{40}$/;
/** After a rotation, the previous secret keeps signing alongside the new one for this long. */
export const SECRET_ROTATION_GRACE_SECONDS = 24 * 60 * 60;

/** A new signing secret: `whsec_` and 40 random base-36 characters (~206 bits). The HMAC key is the whole string. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomToken(40);
}

export function looksLikeWebhookSecret(value: string): boolean {
  return WEBHOOK_SECRET_PATTERN.test(value);
}

/** What is shown of a secret after it was handed out: enough to tell two apart. */
export function secretHint(secret: string): string {
  return `${secret.slice(0, WEBHOOK_SECRET_PREFIX.length + 4)}…`;
}

export interface WebhookSecrets {
  secret: string;
  previousSecret?: string;
  /** ISO-8601: until when the previous secret still signs. */
  previousSecretExpiresAt?: string;
}

/** The secrets to sign with at `now`: the current one, and the previous one during its grace period. */
export function signingSecrets(webhook: WebhookSecrets, now: Date): string[] {
  const secrets = [webhook.secret];
  if (webhook.previousSecret && webhook.previousSecretExpiresAt && now.getTime() < Date.parse(webhook.previousSecretExpiresAt)) {
    secrets.push(webhook.previousSecret);
  }
  return secrets;
}

/** A rotation: the new secret signs from now on, the current one for `graceSeconds` more. */
export function rotateSecrets(current: WebhookSecrets, now: Date, newSecret: string, graceSeconds = SECRET_ROTATION_GRACE_SECONDS): Required<WebhookSecrets> {
  return {
    secret: newSecret,
    previousSecret: current.secret,
    previousSecretExpiresAt: new Date(now.getTime() + graceSeconds * 1000).toISOString(),
  };
}

// ---- webhook URLs: https to a public address ----

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether an IP literal is a loopback address (an IPv4-mapped IPv6 address counts by its IPv4 part). */
function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Whether an IP address is reachable on the public internet: not private,
 * loopback, link-local (which includes the cloud metadata service),
 * shared, documentation, multicast or reserved. IPv4-mapped IPv6 addresses are
 * judged by their IPv4 address.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  // BlockList judges an IPv4-mapped IPv6 address (::ffff:10.0.0.1) by the IPv4 rules.
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface WebhookUrlPolicy {
  /** Allow `http://` to 127.0.0.1, ::1 and localhost: the embedded stack and tests. Never on AWS. */
  allowLoopbackHttp: boolean;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const INTERNAL_NAME = /(^|\.)(localhost|local|internal|intranet|lan|home|corp|localdomain|home\.arpa)$/i;

/** Whether `address` (a resolved IP) may be called under `policy`. */
export function isAllowedDestination(address: string, policy: WebhookUrlPolicy): boolean {
  return isPublicAddress(address) || (policy.allowLoopbackHttp && isLoopbackAddress(address));
}

/**
 * Checks a webhook URL before it is stored: https to a host that is not an
 * internal name or a non-public IP literal; no credentials in it. Hosts given
 * by name are resolved again, and refused when they point inward, each time
 * a delivery is made. Returns the normalised URL; throws a ValidationError
 * naming `url` otherwise.
 */
export function validateWebhookUrl(raw: string, policy: WebhookUrlPolicy): string {
  const refuse = (message: string): never => {
    throw new ValidationError(`the webhook url ${message}`, { code: 'invalid_webhook_url', details: [{ path: 'url', message }] });
  };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('is not an absolute URL');
  }
  const host = url.hostname.toLowerCase();
  const loopback = LOOPBACK_NAMES.has(host) || isLoopbackAddress(host.replace(/^\[|\]$/g, ''));
  if (url.username || url.password) refuse('must not contain credentials');
  if (url.hash) refuse('must not contain a fragment');
  if (url.protocol === 'http:') {
    if (!(policy.allowLoopbackHttp && loopback)) refuse('must use https');
  } else if (url.protocol !== 'https:') {
    refuse('must use https');
  }
  if (loopback) {
    if (!policy.allowLoopbackHttp) refuse('must not point to this machine (loopback)');
    return url.toString();
  }
  const literal = host.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0) {
    if (!isPublicAddress(literal)) refuse('must not point to a private, link-local or reserved address');
  } else if (INTERNAL_NAME.test(host) || !host.includes('.')) {
    refuse('must name a public host');
  }
  return url.toString();
}

// ---- retries ----

/**
 * Seconds to wait after each failed attempt: 1 min, 5 min, 30 min, 2 h, 6 h.
 * With the first try that is 6 attempts over about 8.6 hours; after the last
 * one fails, the channel is dead-lettered.
 */
export const RETRY_DELAYS_SECONDS = [60, 300, 1800, 7200, 21600] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
/** Jitter spreads retries by up to ±10% of the delay, so failures of one receiver do not come back in a lump. */
export const RETRY_JITTER_FRACTION = 0.1;

/**
 * When to try again after `attempts` failed attempts (1 after the first), or
 * undefined when that was the last one. `jitter` is a number in [0, 1), drawn
 * by the caller; 0.5 gives the exact delay.
 */
export function nextAttemptAt(attempts: number, failedAt: Date, jitter = 0.5): Date | undefined {
  const delay = RETRY_DELAYS_SECONDS[attempts - 1];
  if (delay === undefined || attempts < 1) return undefined;
  const spread = 1 + (Math.min(Math.max(jitter, 0), 1) * 2 - 1) * RETRY_JITTER_FRACTION;
  return new Date(failedAt.getTime() + Math.round(delay * spread * 1000));
}

// ---- delivery state ----

export const CHANNELS = ['email', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/** `skipped`: the channel has no destination (no webhook registered, no contact e-mail). */
export const DELIVERY_STATES = ['pending', 'delivered', 'dead', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface ChannelDelivery {
  state: DeliveryState;
  attempts: number;
  /** ISO-8601: when this channel is due (only while pending). */
  nextAttemptAt?: string;
  lastAttemptAt?: string;
  lastError?: string;
  deliveredAt?: string;
}

export const ChannelDeliverySchema = z
  .object({
    state: z.enum(DELIVERY_STATES),
    attempts: z.number().int(),
    nextAttemptAt: z.string().optional(),
    lastAttemptAt: z.string().optional(),
    lastError: z.string().optional(),
    deliveredAt: z.string().optional(),
  })
  .meta({ id: 'ChannelDelivery' });

export type DeliveryOutcome = { ok: true } | { ok: false; error: string };

/** The state of a channel after one attempt at `now`. */
export function afterAttempt(delivery: ChannelDelivery, outcome: DeliveryOutcome, now: Date, jitter = 0.5): ChannelDelivery {
  const attempts = delivery.attempts + 1;
  const at = now.toISOString();
  if (outcome.ok) return { state: 'delivered', attempts, lastAttemptAt: at, deliveredAt: at };
  const next = nextAttemptAt(attempts, now, jitter);
  const lastError = oneLine(outcome.error, 500);
  return next ? { state: 'pending', attempts, lastAttemptAt: at, lastError, nextAttemptAt: next.toISOString() } : { state: 'dead', attempts, lastAttemptAt: at, lastError };
}

/** The overall status of a notification from its channels. */
export function overallStatus(deliveries: Record<Channel, ChannelDelivery>): 'pending' | 'delivered' | 'dead' {
  const states = CHANNELS.map((channel) => deliveries[channel].state);
  if (states.includes('pending')) return 'pending';
  return states.includes('dead') ? 'dead' : 'delivered';
}

/** The earliest time any pending channel is due, or undefined when none is pending. */
export function nextDueAt(deliveries: Record<Channel, ChannelDelivery>): string | undefined {
  const due = CHANNELS.map((channel) => deliveries[channel])
    .filter((d) => d.state === 'pending' && d.nextAttemptAt)
    .map((d) => d.nextAttemptAt as string)
    .sort();
  return due[0];
}

// ---- the e-mail ----

export interface EmailEnvelope {
  /** `Accord <notifications@example.com>` or a bare address. */
  from: string;
  to: string;
}

const CRLF = '\r\n';

/** RFC 5322 date-time in UTC: `Mon, 23 Nov 2026 10:04:05 +0000`. */
export function rfc5322Date(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${months[date.getUTCMonth()]} ${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/**
 * A header value as RFC 2047 encoded-words (`=?UTF-8?B?...?=`) when it holds
 * anything but printable ASCII, folded so that no encoded-word passes 75
 * characters and no character's bytes are split across words.
 */
export function encodeHeaderValue(value: string): string {
  const clean = oneLine(value, 998);
  if (/^[\x20-\x7e]*$/.test(clean)) return clean;
  const words: string[] = [];
  let chunk = '';
  for (const char of clean) {
    // 45 bytes of UTF-8 make 60 base64 characters; with "=?UTF-8?B?" and "?=" that is 72.
    if (Buffer.byteLength(chunk + char, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, 'utf8').toString('base64')}?=`).join(`${CRLF} `);
}

/** Quoted-printable (RFC 2045) of UTF-8 text, lines at most 76 characters, CRLF line ends. */
export function quotedPrintable(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  return lines
    .map((line) => {
      const bytes = Buffer.from(line, 'utf8');
      let out = '';
      let current = '';
      bytes.forEach((byte, index) => {
        const last = index === bytes.length - 1;
        const literal = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
        const token = literal ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
        if (current.length + token.length > 75) {
          out += `${current}=${CRLF}`;
          current = '';
        }
        current += token;
      });
      return out + current;
    })
    .join(CRLF);
}

function addressDomain(address: string): string {
  const bare = /<([^>]+)>/.exec(address)?.[1] ?? address;
  return bare.split('@')[1]?.trim().toLowerCase() || 'accord.invalid';
}

/** `Name <addr>` with the display name encoded when needed; a bare address stays as it is. */
function encodeAddress(address: string): string {
  const match = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(address);
  const bare = match?.[2] ?? address.trim();
  if (/[\r\n<>,;"\s]/.test(bare) || !/^[^@]+@[^@]+$/.test(bare)) throw new Error(`not an e-mail address: ${JSON.stringify(address)}`);
  const name = match?.[1]?.replace(/^"|"$/g, '');
  if (!name) return bare;
  const encoded = encodeHeaderValue(name);
  return `${encoded === name && /^[\w .-]+$/.test(name) ? name : encoded === name ? `"${name.replace(/["\\]/g, '')}"` : encoded} <${bare}>`;
}

/** The plain-text body of the e-mail: the text, the facts, and where it came from. */
export function emailBody(notification: Notification): string {
  const facts = Object.entries(notification.data)
    .map(([name, value]) => `  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n');
  return [
    notification.text,
    '',
    ...(facts ? ['Details:', facts, ''] : []),
    `Event ${notification.id} (${notification.type}), ${notification.occurredAt}.`,
    'You receive this because this address is the contact e-mail of your company in Accord.',
    '',
  ].join('\n');
}

/**
 * The notification as a complete RFC 5322 message (MIME, UTF-8 text/plain,
 * quoted-printable), ready for SES `SendEmail` with raw content or to be saved
 * as an `.eml` file. The Message-ID derives from the event id, so a message
 * sent twice is recognisably the same one.
 */
export function renderEml(notification: Notification, envelope: EmailEnvelope): string {
  const headers = [
    `From: ${encodeAddress(envelope.from)}`,
    `To: ${encodeAddress(envelope.to)}`,
    `Subject: ${encodeHeaderValue(notification.subject)}`,
    `Date: ${rfc5322Date(new Date(notification.occurredAt))}`,
    `Message-ID: <${notification.id}@${addressDomain(envelope.from)}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: quoted-printable',
    'Auto-Submitted: auto-generated',
    `X-Accord-Event-Id: ${notification.id}`,
    `X-Accord-Event-Type: ${notification.type}`,
  ];
  return headers.join(CRLF) + CRLF + CRLF + quotedPrintable(emailBody(notification)) + CRLF;
}

// ---- the API's view of webhooks and dead letters ----

export const PutWebhookRequestSchema = z
  .strictObject({
    url: z.string().trim().min(1, 'must not be empty').max(2048).describe('https URL that receives the signed POSTs'),
  })
  .meta({ id: 'PutWebhookRequest' });

export const WebhookSchema = z
  .object({
    url: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    secretHint: z.string().describe('the first characters of the current signing secret, to recognise it; never the secret'),
    secretRotatedAt: z.iso.datetime().optional(),
    previousSecretExpiresAt: z.iso.datetime().optional().describe('until when the previous secret also signs, after a rotation'),
  })
  .meta({ id: 'Webhook', description: 'the registered webhook, without its secrets' });
export type WebhookView = z.output<typeof WebhookSchema>;

const SecretOnce = z.string().describe('the signing secret (whsec_...), shown only in this response: store it now');

export const WebhookRegistrationSchema = z
  .object({ webhook: WebhookSchema, secret: SecretOnce.optional() })
  .meta({ id: 'WebhookRegistration', description: 'secret is present when the webhook was created; a changed URL keeps its secret' });

export const WebhookWithSecretSchema = z.object({ webhook: WebhookSchema, secret: SecretOnce }).meta({ id: 'WebhookWithSecret' });

export const DeadLetterSchema = z
  .object({
    eventId: NotificationIdSchema,
    channel: z.enum(CHANNELS),
    type: NotificationTypeSchema,
    agreementId: z.string().optional(),
    subject: z.string(),
    occurredAt: z.iso.datetime(),
    deadAt: z.iso.datetime(),
    attempts: z.number().int(),
    lastError: z.string(),
    destination: z.string().optional(),
  })
  .meta({ id: 'DeadLetter', description: 'a notification that one channel could not deliver after its last attempt' });

export const DeadLetterListSchema = z.object({ deadLetters: z.array(DeadLetterSchema) }).meta({ id: 'DeadLetterList' });

/** What the API shows of a stored webhook: never a secret, only a hint of the current one. */
export function webhookView(webhook: WebhookSecrets & { url: string; createdAt: string; updatedAt: string; secretRotatedAt?: string }, now: Date): WebhookView {
  const graceRunning = webhook.previousSecretExpiresAt !== undefined && now.getTime() < Date.parse(webhook.previousSecretExpiresAt);
  return {
    url: webhook.url,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
    secretHint: secretHint(webhook.secret),
    ...(webhook.secretRotatedAt ? { secretRotatedAt: webhook.secretRotatedAt } : {}),
    ...(graceRunning ? { previousSecretExpiresAt: webhook.previousSecretExpiresAt } : {}),
  };
}
