import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AccordFunction, PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';
import { StorageConstruct } from '../../infra/constructs/storage.ts';
import { ENV, TABLE } from '../../infra/definitions.ts';

/*
 * AccordFunction's bind methods on their own: each sets the variable naming the
 * resource and grants exactly what its access level says. The workflow task
 * functions will use bindBucket, which no API route needs yet.
 */

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
// Any existing module will do: bundling is skipped, only the entry's existence is checked.
const ENTRY = 'functions/api/get-health.ts';

function build(bind: (fn: AccordFunction, storage: StorageConstruct) => void) {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'FunctionTest');
  const storage = new StorageConstruct(stack, 'Storage');
  const fn = new AccordFunction(stack, 'Fn', { entry: ENTRY });
  bind(fn, storage);
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }): string => stack.resolve((c.node.defaultChild as CfnResource).logicalId) as string;
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const fnProps = json.Resources[id(fn)]?.Properties ?? {};
  const roleId = (fnProps.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(json.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const actionsOn = (resource: unknown): string[] =>
    statements
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(resource))
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  const nag = new AwsSolutionsChecks(app).validateScope(stack);
  return { app, stack, storage, fn, fnProps, statements, actionsOn, id, nag };
}

describe('AccordFunction', () => {
  it('bakes in runtime, architecture, tracing, memory and timeout', () => {
    const { fnProps } = build(() => undefined);
    expect(fnProps).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      Timeout: 10,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: 'accord' } },
    });
  });

  it('writes only to its own log group', () => {
    const { fn, statements, actionsOn, stack } = build(() => undefined);
    const logGroupArn = { 'Fn::GetAtt': [stack.resolve((fn.logGroup.node.defaultChild as CfnResource).logicalId) as string, 'Arn'] };
    expect(actionsOn(logGroupArn).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(statements.flatMap((s) => s.Action).filter((a) => String(a).startsWith('logs:'))).toHaveLength(2);
  });

  it("bindTable('read') names the table and grants reads on it and its indexes, nothing else", () => {
    const { fnProps, storage, actionsOn, id } = build((fn, storage) => fn.bindTable(storage, 'read'));
    const tableArn = { 'Fn::GetAtt': [id(storage.table), 'Arn'] };
    expect((fnProps.Environment as { Variables: Record<string, unknown> }).Variables[ENV.tableName]).toEqual({ Ref: id(storage.table) });
    expect(actionsOn(tableArn)).toContain('dynamodb:GetItem');
    expect(actionsOn(tableArn)).not.toContain('dynamodb:PutItem');
    for (const gsi of TABLE.globalSecondaryIndexes) {
      expect(actionsOn({ 'Fn::Join': ['', [tableArn, `/index/${gsi.indexName}`]] })).toEqual(['dynamodb:Query']);
    }
    expect(actionsOn({ 'Fn::GetAtt': [id(storage.key), 'Arn'] }).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
  });

  it("bindTable('readWrite') adds the writes and the data-key actions", () => {
    const { storage, actionsOn, id } = build((fn, storage) => fn.bindTable(storage, 'readWrite'));
    expect(actionsOn({ 'Fn::GetAtt': [id(storage.table), 'Arn'] })).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']));
    expect(actionsOn({ 'Fn::GetAtt': [id(storage.key), 'Arn'] })).toEqual(expect.arrayContaining(['kms:GenerateDataKey', 'kms:Encrypt']));
  });

  it("bindBucket('uploads', 'write', prefix) names the bucket and grants writes under the prefix only", () => {
    const { fnProps, storage, actionsOn, statements, id, nag } = build((fn, storage) => fn.bindBucket(storage, 'uploads', 'write', 'contributions/'));
    const bucketId = id(storage.buckets.uploads);
    expect((fnProps.Environment as { Variables: Record<string, unknown> }).Variables[ENV.uploadsBucket]).toEqual({ Ref: bucketId });
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/contributions/*']] };
    expect(actionsOn(objects).sort()).toEqual(['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject']);
    expect(statements.flatMap((s) => s.Action).filter((a) => String(a).startsWith('s3:'))).toHaveLength(3);
    expect(actionsOn({ 'Fn::GetAtt': [id(storage.key), 'Arn'] })).toContain('kms:GenerateDataKey');
    // The object wildcard is acknowledged for this bucket and prefix only.
    expect(nag.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it("bindBucket('results', 'read') grants object reads and decryption, no writes", () => {
    const { fnProps, storage, actionsOn, id, nag } = build((fn, storage) => fn.bindBucket(storage, 'results', 'read'));
    const bucketId = id(storage.buckets.results);
    expect((fnProps.Environment as { Variables: Record<string, unknown> }).Variables[ENV.resultsBucket]).toEqual({ Ref: bucketId });
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] };
    expect(actionsOn(objects)).toContain('s3:GetObject');
    expect(actionsOn(objects)).not.toContain('s3:PutObject');
    expect(actionsOn({ 'Fn::GetAtt': [id(storage.key), 'Arn'] }).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    expect(nag.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('leaves an unacknowledged object wildcard to cdk-nag when a grant bypasses bindBucket', () => {
    const { nag } = build((fn, storage) => storage.grantBucket(fn, 'results', 'read'));
    expect(nag.violations.map((v) => v.ruleName)).toEqual([expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<StorageResultsBucket[A-F0-9]+\.Arn>\/\*\]$/)]);
  });
});
