/**
 * Key templates of the single table, declared once per entity. Every item of
 * a tenant lives under its own partition (`PARTNER#<id>`), so reading a
 * tenant's items is a Query on one partition and never a Scan.
 *
 * | entity            | pk                     | sk                    |
 * | ----------------- | ---------------------- | --------------------- |
 * | partner           | PARTNER#<partnerId>    | PROFILE               |
 * | domain claim      | DOMAIN#<domain>        | DOMAIN                |
 * | API key           | PARTNER#<partnerId>    | KEY#<keyId>           |
 * | API key by hash   | APIKEY#<sha256>        | APIKEY                |
 * | agreement         | AGREEMENT#<id>         | AGREEMENT             |
 * | agreement of a partner | PARTNER#<partnerId> | AGREEMENT#<id>      |
 * | run               | AGREEMENT#<id>         | RUN#<runId>           |
 * | flag on a match   | AGREEMENT#<id>         | FLAG#<runId>#<matchId>#<side> |
 * | workflow wait     | AGREEMENT#<id>         | WAIT#<what>           |
 * | contribution      | AGREEMENT#<id>         | CONTRIB#<runId>#<ctbId> |
 * | audit event       | AGREEMENT#<id>         | AUDIT#<seq, 10 digits>|
 * | referral          | AGREEMENT#<id>         | REFERRAL#<referralId> |
 * | open referral of a match | AGREEMENT#<id>  | REFOPEN#<matchId>#<introducer side> |
 * | ledger entry      | AGREEMENT#<id>         | LEDGER#<bookedAt>#<entryId> |
 * | outbox item       | PARTNER#<partnerId>    | OUTBOX#<occurredAt>#<evtId> (gsi1: OUTBOX#DUE / <dueAt>#<evtId> while due) |
 * | dead letter       | PARTNER#<partnerId>    | DEADLETTER#<deadAt>#<evtId>#<channel> |
 * | webhook           | PARTNER#<partnerId>    | WEBHOOK               |
 * | blind key (current) | PARTNER#<partnerId>  | BLINDKEY              |
 * | blind key (history) | PARTNER#<partnerId>  | BLINDKEY#<registeredAt>#<fingerprint> |
 * | a run's blind keys | AGREEMENT#<id>        | BLINDKEYS#<runId>     |
 * | idempotency record | PARTNER#<partnerId> (public routes: IDEMPOTENCY#<recordId>) | IDEMPOTENCY#<recordId> |
 */

export interface ItemKey {
  pk: string;
  sk: string;
}

export const keys = {
  partner: (partnerId: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: 'PROFILE' }),
  domainClaim: (domain: string): ItemKey => ({ pk: `DOMAIN#${domain}`, sk: 'DOMAIN' }),
  apiKey: (partnerId: string, keyId: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: `KEY#${keyId}` }),
  apiKeyPrefixOfPartner: (partnerId: string) => ({ pk: `PARTNER#${partnerId}`, skPrefix: 'KEY#' }),
  apiKeyByHash: (hash: string): ItemKey => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' }),
  agreement: (agreementId: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: 'AGREEMENT' }),
  agreementOfPartner: (partnerId: string, agreementId: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: `AGREEMENT#${agreementId}` }),
  agreementsOfPartnerPrefix: (partnerId: string) => ({ pk: `PARTNER#${partnerId}`, skPrefix: 'AGREEMENT#' }),
  auditEvent: (agreementId: string, seq: number): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `AUDIT#${String(seq).padStart(10, '0')}` }),
  auditEventsPrefix: (agreementId: string) => ({ pk: `AGREEMENT#${agreementId}`, skPrefix: 'AUDIT#' }),
  run: (agreementId: string, runId: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `RUN#${runId}` }),
  runsPrefix: (agreementId: string) => ({ pk: `AGREEMENT#${agreementId}`, skPrefix: 'RUN#' }),
  flag: (agreementId: string, runId: string, matchId: string, side: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `FLAG#${runId}#${matchId}#${side}` }),
  flagsPrefix: (agreementId: string) => ({ pk: `AGREEMENT#${agreementId}`, skPrefix: 'FLAG#' }),
  contribution: (agreementId: string, runId: string, contributionId: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `CONTRIB#${runId}#${contributionId}` }),
  contributionsOfRunPrefix: (agreementId: string, runId: string) => ({ pk: `AGREEMENT#${agreementId}`, skPrefix: `CONTRIB#${runId}#` }),
  /** The task token of the workflow step waiting on this agreement for `what` (approvals, contributions). */
  wait: (agreementId: string, what: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `WAIT#${what}` }),
  referral: (agreementId: string, referralId: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `REFERRAL#${referralId}` }),
  referralsPrefix: (agreementId: string) => ({ pk: `AGREEMENT#${agreementId}`, skPrefix: 'REFERRAL#' }),
  /** Exists while a referral of this match in this direction is open: at most one is. */
  openReferralOfMatch: (agreementId: string, matchId: string, introducer: string): ItemKey => ({
    pk: `AGREEMENT#${agreementId}`,
    sk: `REFOPEN#${matchId}#${introducer}`,
  }),
  ledgerEntry: (agreementId: string, bookedAt: string, entryId: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `LEDGER#${bookedAt}#${entryId}` }),
  ledgerPrefix: (agreementId: string) => ({ pk: `AGREEMENT#${agreementId}`, skPrefix: 'LEDGER#' }),
  invitation: (codeHash: string): ItemKey => ({ pk: `INVITATION#${codeHash}`, sk: 'INVITATION' }),
  outbox: (partnerId: string, occurredAt: string, eventId: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: `OUTBOX#${occurredAt}#${eventId}` }),
  outboxPrefixOfPartner: (partnerId: string) => ({ pk: `PARTNER#${partnerId}`, skPrefix: 'OUTBOX#' }),
  /** GSI keys of an outbox item while it has work due; removed once every channel is delivered, skipped or dead. */
  outboxDue: (dueAt: string, eventId: string) => ({ gsi1pk: 'OUTBOX#DUE', gsi1sk: `${dueAt}#${eventId}` }),
  deadLetter: (partnerId: string, deadAt: string, eventId: string, channel: string): ItemKey => ({
    pk: `PARTNER#${partnerId}`,
    sk: `DEADLETTER#${deadAt}#${eventId}#${channel}`,
  }),
  deadLettersPrefixOfPartner: (partnerId: string) => ({ pk: `PARTNER#${partnerId}`, skPrefix: 'DEADLETTER#' }),
  webhook: (partnerId: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: 'WEBHOOK' }),
  /** The partner's blind-matching public key in force. */
  blindKey: (partnerId: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: 'BLINDKEY' }),
  /** Every blind key the partner registered, oldest first: when, by which API key, until when. */
  blindKeyHistory: (partnerId: string, registeredAt: string, fingerprint: string): ItemKey => ({ pk: `PARTNER#${partnerId}`, sk: `BLINDKEY#${registeredAt}#${fingerprint}` }),
  blindKeyHistoryPrefix: (partnerId: string) => ({ pk: `PARTNER#${partnerId}`, skPrefix: 'BLINDKEY#' }),
  /** The two public keys a run's blind contributions are made with, fixed at the run's first blind upload slot. */
  runBlindKeys: (agreementId: string, runId: string): ItemKey => ({ pk: `AGREEMENT#${agreementId}`, sk: `BLINDKEYS#${runId}` }),
  /** A retried request's record (functions/lib/idempotency.ts): in the caller's partition, or its own on a public route. */
  idempotency: (partnerId: string | undefined, recordId: string): ItemKey => ({
    pk: partnerId ? `PARTNER#${partnerId}` : `IDEMPOTENCY#${recordId}`,
    sk: `IDEMPOTENCY#${recordId}`,
  }),
} as const;

/** Item type tags, so an item read raw still says what it is. */
export const ENTITY = {
  partner: 'partner',
  domainClaim: 'domain-claim',
  apiKey: 'api-key',
  apiKeyLookup: 'api-key-lookup',
  agreement: 'agreement',
  agreementMembership: 'agreement-membership',
  auditEvent: 'audit-event',
  invitation: 'invitation',
  run: 'run',
  flag: 'flag',
  contribution: 'contribution',
  wait: 'wait',
  outbox: 'outbox',
  deadLetter: 'dead-letter',
  webhook: 'webhook',
  referral: 'referral',
  openReferral: 'open-referral',
  ledgerEntry: 'ledger-entry',
  blindKey: 'blind-key',
  blindKeyHistory: 'blind-key-history',
  runBlindKeys: 'run-blind-keys',
  idempotency: 'idempotency',
} as const;
