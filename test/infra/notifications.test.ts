import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnResource, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_ENV } from '../../functions/notifications/config.ts';
import { AccordStack } from '../../infra/accord-stack.ts';
import { PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';
import { domainOf, NotificationsConstruct } from '../../infra/constructs/notifications.ts';
import { StorageConstruct } from '../../infra/constructs/storage.ts';
import { ENV } from '../../infra/definitions.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

function newApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
}

function synth(context: Record<string, unknown> = {}) {
  const stack = new AccordStack(newApp(context), 'AccordNotifications');
  const template = Template.fromStack(stack);
  const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  const fnId = stack.resolve((stack.notifications.dispatcher.node.defaultChild as CfnResource).logicalId) as string;
  const fn = resources[fnId] as Resource;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return { stack, template, resources, fnId, fn, statements };
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the notifications construct', () => {
  it('deploys the dispatcher task on Node 22 arm64 with the table bound read-write and the sender configured', () => {
    const { stack, fn, statements } = synth({ mailFrom: 'Accord <notify@mail.acme.com>' });
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 120 });
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables[NOTIFICATION_ENV.mailFrom]).toBe('Accord <notify@mail.acme.com>');
    expect(variables[ENV.tableName]).toEqual({ Ref: stack.resolve((stack.storage.table.node.defaultChild as CfnResource).logicalId) as string });
    expect(variables).not.toHaveProperty(NOTIFICATION_ENV.mailOutboxDir);
    expect(variables).not.toHaveProperty(NOTIFICATION_ENV.webhookAllowLoopbackHttp);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'kms:GenerateDataKey']));
  });

  it('may send e-mail only from its SES identity (the sender’s domain by default), with no wildcard', () => {
    const { statements } = synth({ mailFrom: 'Accord <notify@mail.acme.com>' });
    const ses = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    expect(ses).toHaveLength(1);
    expect(actionsOf(ses[0] as Statement).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
    const resource = JSON.stringify(ses[0]?.Resource);
    expect(resource).toContain(':identity/mail.acme.com');
    expect(resource).not.toContain('*');
  });

  it('scopes to a named identity and configuration set given as context', () => {
    const { fn, statements } = synth({ mailFrom: 'notify@acme.com', sesIdentity: 'notify@acme.com', sesConfigurationSet: 'accord-prod' });
    const resource = JSON.stringify(statements.find((s) => actionsOf(s).includes('ses:SendEmail'))?.Resource);
    expect(resource).toContain(':identity/notify@acme.com');
    expect(resource).toContain(':configuration-set/accord-prod');
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables[NOTIFICATION_ENV.sesConfigurationSet]).toBe('accord-prod');
  });

  it('runs every minute from an EventBridge rule', () => {
    const { template, fnId } = synth();
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });

  it('synthesises without a configured sender, with a warning, and names the domain of an address', () => {
    const { stack } = synth();
    expect(stack.notifications.sesIdentity).toBe('accord.example.com');
    expect(domainOf('Accord <n@Mail.Example.org>')).toBe('mail.example.org');
    expect(() => domainOf('nobody')).toThrow(/e-mail address/);
  });

  it('needs no cdk-nag acknowledgement of its own', () => {
    const app = newApp();
    const stack = new Stack(app, 'NotificationsAlone');
    const storage = new StorageConstruct(stack, 'Storage');
    new NotificationsConstruct(stack, 'Notifications', { storage, mailFrom: 'n@acme.com', schedule: Duration.minutes(5) });
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });
});
