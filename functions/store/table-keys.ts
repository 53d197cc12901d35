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
 * | audit event       | AGREEMENT#<id>         | AUDIT#<seq, 10 digits>|
 * | ledger entry      | AGREEMENT#<id>         | LEDGER#<entryId>      |
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
} as const;

/** Item type tags, so an item read raw still says what it is. */
export const ENTITY = {
  partner: 'partner',
  domainClaim: 'domain-claim',
  apiKey: 'api-key',
  apiKeyLookup: 'api-key-lookup',
} as const;
