import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type PolicyViolation, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { AccordStack } from '../../infra/accord-stack.ts';
import { PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';

/*
 * cdk-nag 3 is a CDK policy-validation plugin (`Validations.of(app).addPlugins`),
 * not an Aspect, and acknowledgements replace `NagSuppressions`. Any finding,
 * error or warning, that no construct acknowledged with a reason fails here.
 */

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

function newApp(): App {
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

function describeViolations(violations: PolicyViolation[]): string[] {
  return violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

/** Every acknowledgement recorded in the tree, as `ruleId -> reasons`. */
function acknowledgements(root: IConstruct): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const ruleId = id.replace(/^annotation::/i, '').replace(/<[A-Za-z0-9]+\.Arn>/, '<Arn>');
        found.set(ruleId, (found.get(ruleId) ?? new Set()).add(reason));
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions on the Accord stack', () => {
  it('reports no unacknowledged error or warning', () => {
    const app = newApp();
    const stack = new AccordStack(app, 'AccordNag');
    const checks = new AwsSolutionsChecks(app, { verbose: true });

    const report = checks.validateScope(stack);

    expect(describeViolations(report.violations)).toEqual([]);
    expect(report.success).toBe(true);
  });

  // A whole synth of the stack (a function per route) takes 20-40 s on a busy 2-core machine.
  it('passes as a synth-time validation plugin, as `npm run synth` runs it', { timeout: 120_000 }, () => {
    const app = newApp();
    new AccordStack(app, 'AccordNagSynth');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('acknowledges only the expected rules, each with a reason', () => {
    const app = newApp();
    const stack = new AccordStack(app, 'AccordNagAcks');
    const acks = acknowledgements(stack);

    expect([...acks.keys()].sort()).toEqual(
      [
        // X-Ray's PutTraceSegments/PutTelemetryRecords have no resource-level permissions.
        'AwsSolutions-IAM5[Resource::*]',
        // Node 22 is the project's runtime, here and in the embedded stack.
        'AwsSolutions-L1',
        // Authentication is done in the handlers with hashed API keys.
        'AwsSolutions-APIG4',
        // The access-log bucket does not log into itself.
        'AwsSolutions-S1',
        // Object ARNs of contribution uploads end in a wildcard.
        'AwsSolutions-IAM5[Resource::<Arn>/contributions/*]',
        // ... and of match results.
        'AwsSolutions-IAM5[Resource::<Arn>/results/*]',
        // Step Functions invokes its task functions with any qualifier.
        'AwsSolutions-IAM5[Resource::<Arn>:*]',
        // Stopping an engagement names its execution: <state machine>:<agreement id>.
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:AccordNagAcks-engagement:*]',
        // The Distributed Maps' ItemReader reads the shard manifests of runs.
        'AwsSolutions-IAM5[Resource::<Arn>/results/*/shards/*.json]',
        // A Distributed Map describes, stops and redrives the child executions of its own state machine (CDK's grant).
        ...['', '/MatchRowShards', '/MatchBlockShards'].map(
          (label) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"EngagementStateMachine2C75A6C6"}]}]}${label}:*]`,
        ),
      ].sort(),
    );
    for (const [id, reasons] of acks) {
      for (const reason of reasons) expect(reason.length, id).toBeGreaterThan(40);
    }
  });

  it('does catch a finding (the check is live): a bucket that allows plain HTTP', () => {
    const app = newApp();
    const stack = new Stack(app, 'Careless');
    new Bucket(stack, 'Careless');
    const checks = new AwsSolutionsChecks(app);
    const report = checks.validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));

    Validations.of(app).addPlugins(checks);
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});
