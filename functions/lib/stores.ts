import { ENV } from '../../infra/definitions.ts';
import { DynamoAgreementStore } from '../store/agreement-store.ts';
import { DynamoContributionStore } from '../store/contribution-store.ts';
import { DynamoFlagStore } from '../store/flag-store.ts';
import { DynamoPartnerStore, type PartnerStore } from '../store/partner-store.ts';
import { DynamoReferralStore } from '../store/referral-store.ts';
import { dynamodb } from './clients.ts';
import { requireEnv } from './config.ts';

let partners: PartnerStore | undefined;

/** The partner store of this function, created on first use (the table name comes from the environment). */
export function partnerStore(): PartnerStore {
  partners ??= new DynamoPartnerStore(dynamodb, requireEnv(ENV.tableName));
  return partners;
}

let agreements: DynamoAgreementStore | undefined;

export function agreementStore(): DynamoAgreementStore {
  agreements ??= new DynamoAgreementStore(dynamodb, requireEnv(ENV.tableName));
  return agreements;
}

let contributions: DynamoContributionStore | undefined;

export function contributionStore(): DynamoContributionStore {
  contributions ??= new DynamoContributionStore(dynamodb, requireEnv(ENV.tableName));
  return contributions;
}

let flags: DynamoFlagStore | undefined;

export function flagStore(): DynamoFlagStore {
  flags ??= new DynamoFlagStore(dynamodb, requireEnv(ENV.tableName));
  return flags;
}

let referrals: DynamoReferralStore | undefined;

export function referralStore(): DynamoReferralStore {
  referrals ??= new DynamoReferralStore(dynamodb, requireEnv(ENV.tableName));
  return referrals;
}
