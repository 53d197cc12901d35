import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnResource, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NOT_FOUND_HANDLER, ROUTES } from '../../functions/api/routes.ts';
import { AccordStack } from '../../infra/accord-stack.ts';
import { PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';
import { BUCKETS, ENV, TABLE } from '../../infra/definitions.ts';

/*
 * The synthesised template of the whole stack, asserted on the properties that
 * matter for security and for the contract with functions/api/routes.ts.
 * Bundling is skipped for speed; `npm run synth` builds the real bundles.
 */

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, string>>;
  Principal?: unknown;
}

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

let stack: AccordStack;
let template: Template;
let resources: Record<string, Resource>;

beforeAll(() => {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  stack = new AccordStack(app, 'AccordTest');
  template = Template.fromStack(stack);
  resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
});

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}
function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as CfnResource).logicalId) as string;
}
function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
/** Every statement of the inline policies attached to a role. */
function statementsOfRole(roleLogicalId: string): Statement[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleLogicalId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
function functionOfRoute(handler: string): { fnId: string; fn: Resource; statements: Statement[] } {
  const fnConstruct = handler === NOT_FOUND_HANDLER ? stack.api.notFoundFunction : stack.api.functions.get(handler);
  if (!fnConstruct) throw new Error(`no function for ${handler}`);
  const fnId = logicalId(fnConstruct);
  const fn = resources[fnId];
  if (!fn) throw new Error(`no resource ${fnId}`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return { fnId, fn, statements: statementsOfRole(roleId) };
}

describe('the table', () => {
  it('is built from infra/definitions.ts: keys, GSIs and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((gsi) => ({
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
  });

  it('is on-demand, recoverable, KMS-encrypted with the customer key, protected and retained', () => {
    const [[keyId] = []] = ofType('AWS::KMS::Key');
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  it('is encrypted with a rotated key that outlives the stack', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
  });
});

describe('the buckets', () => {
  const dataBuckets = (): [string, Resource][] =>
    (Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]).map((role) => {
      const id = logicalId(stack.storage.buckets[role]);
      return [id, resources[id] as Resource];
    });

  it('exist for every role of BUCKETS, plus one for access logs', () => {
    expect(dataBuckets().every(([, r]) => r?.Type === 'AWS::S3::Bucket')).toBe(true);
    template.resourceCountIs('AWS::S3::Bucket', Object.keys(BUCKETS).length + 1);
  });

  it('all block public access, are versioned, encrypted and retained', () => {
    for (const [id, bucket] of ofType('AWS::S3::Bucket')) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.VersioningConfiguration, id).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.BucketEncryption, id).toBeDefined();
      expect(bucket.DeletionPolicy, id).toBe('Retain');
    }
  });

  it('all refuse requests that are not over TLS', () => {
    for (const [id] of ofType('AWS::S3::Bucket')) {
      const policies = ofType('AWS::S3::BucketPolicy').filter(([, p]) => (p.Properties.Bucket as { Ref?: string }).Ref === id);
      const statements = policies.flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      expect(
        statements.some(
          (s) => s.Effect === 'Deny' && actionsOf(s).includes('s3:*') && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
        `${id} has a TLS-only policy`,
      ).toBe(true);
    }
  });

  it('of data use SSE-KMS with the customer key, log access to the log bucket and expire old versions', () => {
    const logsId = logicalId(stack.storage.accessLogsBucket);
    const keyId = logicalId(stack.storage.key);
    for (const [id, bucket] of dataBuckets()) {
      expect(bucket.Properties.BucketEncryption, id).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
          },
        ],
      });
      expect(bucket.Properties.LoggingConfiguration, id).toMatchObject({ DestinationBucketName: { Ref: logsId } });
      const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
      expect(rules.some((r) => r.Status === 'Enabled' && r.NoncurrentVersionExpiration !== undefined), id).toBe(true);
      expect(rules.some((r) => r.Status === 'Enabled' && r.AbortIncompleteMultipartUpload !== undefined), id).toBe(true);
    }
  });

  it('let browsers POST to the uploads bucket (presigned POST) and nothing else cross-origin', () => {
    const uploads = resources[logicalId(stack.storage.buckets.uploads)];
    expect(uploads?.Properties.CorsConfiguration).toMatchObject({ CorsRules: [{ AllowedMethods: ['POST'] }] });
    expect(resources[logicalId(stack.storage.buckets.results)]?.Properties.CorsConfiguration).toBeUndefined();
  });
});

describe('the functions', () => {
  it('all run Node.js 22 on arm64 with active tracing and their own retained-for-a-while log group', () => {
    const functions = ofType('AWS::Lambda::Function');
    // One per route, the $default route, the notification dispatcher, the thirteen engagement tasks and the upload validator.
    expect(functions).toHaveLength(ROUTES.length + 2 + 13 + 1);
    for (const [id, fn] of functions) {
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
      });
      const logGroupRef = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroupRef]?.Type, id).toBe('AWS::Logs::LogGroup');
      expect(resources[logGroupRef]?.Properties.RetentionInDays, id).toBeGreaterThan(0);
    }
  });

  it('have roles without AWS managed policies', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });

  it('are granted no wildcard action and no wildcard index', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        expect(actionsOf(statement).filter((a) => a.includes('*')), id).toEqual([]);
        expect(JSON.stringify(statement.Resource), id).not.toContain('/index/*');
      }
    }
  });
});

describe('the HTTP API', () => {
  const routeKeys = (): string[] => ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);

  it('has one route per entry of ROUTES, plus $default', () => {
    expect(routeKeys().sort()).toEqual([...ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].sort());
  });

  it('sends each route to the function built from functions/api/<handler>.ts', () => {
    const integrations = Object.fromEntries(ofType('AWS::ApiGatewayV2::Integration'));
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    const expected: { key: string; handler: string }[] = [
      ...ROUTES.map((r) => ({ key: `${r.method} ${r.path}`, handler: r.handler })),
      { key: '$default', handler: NOT_FOUND_HANDLER },
    ];
    for (const route of expected) {
      const apiRoute = routes.find((r) => r.RouteKey === route.key);
      const target = (apiRoute?.Target as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      const integrationId = (target[1] as { Ref: string }).Ref;
      const uri = integrations[integrationId]?.Properties.IntegrationUri;
      expect(uri, route.key).toEqual({ 'Fn::GetAtt': [functionOfRoute(route.handler).fnId, 'Arn'] });
    }
  });

  it('uses no API Gateway authorizer: the handlers check the API keys', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('logs every request to a log group and throttles the $default stage', () => {
    const [[, stage] = []] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: expect.any(Number) as number, ThrottlingBurstLimit: expect.any(Number) as number },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(stack.api.accessLogs), 'Arn'] } },
    });
    const format = JSON.parse((stage?.Properties.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', routeKey: '$context.routeKey' });
  });
});

describe('least privilege of the API functions', () => {
  const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
  const allActions = (statements: Statement[]): string[] => statements.flatMap(actionsOf);

  const SERVES_CONSOLE: readonly string[] = ROUTES.filter((r) => 'servesConsole' in r).map((r) => r.handler);

  it.each(ROUTES.filter((r) => r.method === 'GET' && r.handler !== 'get-openapi' && !SERVES_CONSOLE.includes(r.handler)).map((r) => r.handler))(
    'GET route %s reads the table (and its index) but cannot write it',
    (handler) => {
      const { fn, statements } = functionOfRoute(handler);
      const actions = allActions(statements);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt']));
      expect(actions.filter((a) => WRITES.includes(a) || a.startsWith('kms:GenerateDataKey') || a === 'kms:Encrypt')).toEqual([]);
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables[ENV.tableName]).toEqual({
        Ref: logicalId(stack.storage.table),
      });
    },
  );

  it.each(ROUTES.filter((r) => r.method !== 'GET').map((r) => r.handler))('%s may write the table', (handler) => {
    const { fn, statements } = functionOfRoute(handler);
    const writes = statements.filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(writes.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [logicalId(stack.storage.table), 'Arn'] }]);
    expect(allActions(statements)).toContain('kms:GenerateDataKey');
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toHaveProperty(ENV.tableName);
  });

  it.each(['get-openapi', NOT_FOUND_HANDLER, ...SERVES_CONSOLE])('%s touches no data: only its logs and traces', (handler) => {
    const { fn, statements } = functionOfRoute(handler);
    expect([...new Set(allActions(statements))].sort()).toEqual(
      ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
    );
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).not.toHaveProperty(ENV.tableName);
  });

  it('gives bucket access only to the functions that need it, each only what it needs', () => {
    const byRole = new Map<string, string[]>();
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      const role = /"Ref":"(\w+?)Role[0-9A-F]{8}"/.exec(JSON.stringify(policy.Properties.Roles))?.[1] ?? 'unknown';
      for (const st of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        const s3Actions = actionsOf(st).filter((a) => a.startsWith('s3:'));
        if (s3Actions.length === 0) continue;
        const resource = JSON.stringify(st.Resource);
        const condition = JSON.stringify((st as { Condition?: unknown }).Condition ?? {});
        // Objects under a prefix, or listing the bucket only under a prefix.
        if (s3Actions.every((a) => a.startsWith('s3:List'))) expect(condition).toMatch(/"s3:prefix":\["(contributions|results)\/\*"\]/);
        else expect(resource).toMatch(/\/(contributions|results)\/\*/);
        const where = resource.includes('/results/') || condition.includes('results/') ? 'results' : 'contributions';
        byRole.set(role, [...(byRole.get(role) ?? []), ...s3Actions.map((a) => `${a} ${where}`)]);
      }
    }
    expect([...byRole.keys()].sort()).toEqual(
      [
        'ApiCreateUploadSlot',
        'ApiFlagMatch',
        'ApiGetResults',
        'ApiPreviewResults',
        'ApiRegisterReferral',
        'ContributionsContributionUploaded',
        'EngagementCheckContributionsFunction',
        'EngagementDeleteResultsFunction',
        'EngagementMatchingMatchBlocksFunction',
        'EngagementMatchingMatchMergeFunction',
        'EngagementMatchingMatchPartitionFunction',
        'EngagementMatchingMatchPrepareFunction',
        'EngagementMatchingMatchRunFunction',
        'EngagementMatchingMatchShardFunction',
        'EngagementOpenResultApprovalFunction',
        'EngagementStateMachine',
      ].sort(),
    );
    expect(byRole.get('ApiCreateUploadSlot')).toEqual(['s3:PutObject contributions']);
    // The validator reads uploads, and deletes for good one a blind agreement refuses (it may be a clear list): nothing else.
    const validator = byRole.get('ContributionsContributionUploaded') ?? [];
    expect(validator.every((a) => /^s3:(Get|ListBucket|DeleteObject)/.test(a) && a.endsWith('contributions'))).toBe(true);
    expect(validator).toEqual(expect.arrayContaining(['s3:GetObject contributions', 's3:ListBucketVersions contributions', 's3:DeleteObjectVersion contributions']));
    // Lapsing a run deletes every version of its uploads, and reads nothing.
    const lapse = byRole.get('EngagementCheckContributionsFunction') ?? [];
    expect(lapse).toEqual(expect.arrayContaining(['s3:ListBucketVersions contributions', 's3:DeleteObjectVersion contributions']));
    expect(lapse.some((a) => a.startsWith('s3:Get') || a.endsWith('results'))).toBe(false);
    // The one-task match reads uploads, writes results, and deletes every version of the run's uploads.
    const matchRun = byRole.get('EngagementMatchingMatchRunFunction') ?? [];
    expect(matchRun).toEqual(expect.arrayContaining(['s3:GetObject contributions', 's3:ListBucketVersions contributions', 's3:DeleteObjectVersion contributions', 's3:PutObject results']));
    expect(matchRun.some((a) => a.startsWith('s3:Get') && a.endsWith('results'))).toBe(false);
    // Deciding inline or sharded reads uploads only; the shard and blocks steps touch results only.
    expect(byRole.get('EngagementMatchingMatchPrepareFunction')?.every((a) => a.startsWith('s3:Get') && a.endsWith('contributions'))).toBe(true);
    for (const role of ['EngagementMatchingMatchShardFunction', 'EngagementMatchingMatchBlocksFunction']) expect(byRole.get(role)?.every((a) => a.endsWith('results'))).toBe(true);
    // The state machine reads the Distributed Maps' manifests, nothing else.
    expect(byRole.get('EngagementStateMachine')).toEqual(['s3:GetObject results']);
    // The results routes, and registering a referral on a released match, read results and nothing else.
    for (const route of ['ApiGetResults', 'ApiPreviewResults', 'ApiFlagMatch', 'ApiRegisterReferral']) {
      expect(byRole.get(route)?.every((a) => a.startsWith('s3:Get') && a.endsWith('results')), route).toBe(true);
    }
    // Deleting a run's results removes every version under its results and uploads prefixes.
    expect(byRole.get('EngagementDeleteResultsFunction')).toEqual(
      expect.arrayContaining(['s3:ListBucketVersions results', 's3:ListBucketVersions contributions', 's3:DeleteObjectVersion results', 's3:DeleteObjectVersion contributions']),
    );
  });
});

describe('outputs', () => {
  it('name the API URL, the table and the buckets', () => {
    const outputs = template.toJSON() as { Outputs: Record<string, { Value: unknown }> };
    expect(outputs.Outputs.TableName?.Value).toEqual({ Ref: logicalId(stack.storage.table) });
    expect(outputs.Outputs.UploadsBucketName?.Value).toEqual({ Ref: logicalId(stack.storage.buckets.uploads) });
    expect(outputs.Outputs.ResultsBucketName?.Value).toEqual({ Ref: logicalId(stack.storage.buckets.results) });
    expect(JSON.stringify(outputs.Outputs.ApiUrl?.Value)).toContain('execute-api');
  });

});

describe('the stack', () => {
  it('is environment-agnostic (no account or region baked in), so it synthesises without credentials', () => {
    expect(Token.isUnresolved(stack.account)).toBe(true);
    expect(Token.isUnresolved(stack.region)).toBe(true);
  });
});
