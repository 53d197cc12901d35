import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccordStack } from '../../infra/accord-stack.ts';
import { PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';
import { LONGEST_RETENTION_DAYS, TABLE } from '../../infra/definitions.ts';
import { TermsSchema } from '../../shared/terms.ts';

/*
 * What backs the terms' retention on AWS, read from the synthesised template
 * (the workflow's deletions are proven in test/integration/retention.test.ts):
 * the data buckets expire every deleted version within 30 days and anything
 * left past the longest retention the terms allow, drop partial uploads after
 * a day, and the table expires items by TTL.
 */

interface Rule {
  Id?: string;
  Status: string;
  ExpirationInDays?: number;
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  ExpiredObjectDeleteMarker?: boolean;
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
}

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
let stack: AccordStack;
let template: Template;

beforeAll(() => {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], mailFrom: 'notifications@accord.example.com' } });
  stack = new AccordStack(app, 'AccordRetention');
  template = Template.fromStack(stack);
});

function rulesOf(bucket: 'uploads' | 'results'): Rule[] {
  const id = stack.resolve((stack.storage.buckets[bucket].node.defaultChild as CfnResource).logicalId) as string;
  const resource = (template.toJSON() as { Resources: Record<string, { Properties: { LifecycleConfiguration?: { Rules: Rule[] } } }> }).Resources[id];
  return (resource?.Properties.LifecycleConfiguration?.Rules ?? []).filter((rule) => rule.Status === 'Enabled');
}

describe('retention on AWS', () => {
  it.each(['uploads', 'results'] as const)('the %s bucket removes deleted versions within 30 days, with their delete markers', (bucket) => {
    const rules = rulesOf(bucket);
    const noncurrent = rules.find((rule) => rule.NoncurrentVersionExpiration);
    expect(noncurrent?.NoncurrentVersionExpiration?.NoncurrentDays).toBeLessThanOrEqual(30);
    expect(rules.some((rule) => rule.ExpiredObjectDeleteMarker === true)).toBe(true);
  });

  it.each(['uploads', 'results'] as const)('the %s bucket drops an unfinished multipart upload after a day', (bucket) => {
    expect(rulesOf(bucket).find((rule) => rule.AbortIncompleteMultipartUpload)?.AbortIncompleteMultipartUpload?.DaysAfterInitiation).toBe(1);
  });

  it.each(['uploads', 'results'] as const)('the %s bucket expires whatever outlives the longest retention the terms allow', (bucket) => {
    expect(rulesOf(bucket).find((rule) => rule.ExpirationInDays !== undefined)?.ExpirationInDays).toBe(LONGEST_RETENTION_DAYS);
  });

  it('the longest retention is what the terms schema allows, and no more', () => {
    const longest = { schedule: { contributionDeadlineDays: 365, resultApprovalDeadlineDays: 90, reminderDays: [1] }, retention: { deleteUploadsAfterMatching: false, resultsKeptDays: 3650 } };
    expect(TermsSchema.safeParse(longest).success).toBe(true);
    for (const longer of [
      { ...longest, schedule: { ...longest.schedule, contributionDeadlineDays: 366 } },
      { ...longest, schedule: { ...longest.schedule, resultApprovalDeadlineDays: 91 } },
      { ...longest, retention: { ...longest.retention, resultsKeptDays: 3651 } },
    ]) {
      expect(TermsSchema.safeParse(longer).success).toBe(false);
    }
    expect(LONGEST_RETENTION_DAYS).toBe(365 + 90 + 3650);
  });

  it('the table expires items by TTL on the attribute the code writes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true } });
  });
});
