import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccordStack } from '../../infra/accord-stack.ts';
import { PROJECT_ROOT } from '../../infra/constructs/accord-function.ts';
import { ENGAGEMENT_STATE_MACHINE_ENV } from '../../workflows/engagement/names.ts';

/* The engagement state machine as CloudFormation will deploy it: its states, its logging, and who may touch it. */

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Statement {
  Action: string | string[];
  Resource: unknown;
}

const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
let resources: Record<string, Resource>;
let definition: { QueryLanguage?: string; StartAt: string; States: Record<string, Record<string, unknown>> };
let stateMachineId: string;

function statementsOfRoleOfFunction(functionId: string): Statement[] {
  const roleRef = (resources[functionId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleRef))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function functionIdWhere(predicate: (fn: Resource) => boolean): string {
  const found = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Lambda::Function' && predicate(r));
  if (!found) throw new Error('no such function');
  return found[0];
}

const actions = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

beforeAll(() => {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new AccordStack(app, 'AccordWorkflowTest');
  const template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
  const machines = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(1);
  stateMachineId = machines[0]?.[0] ?? '';
  const props = machines[0]?.[1].Properties ?? {};
  const parts = (props.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  definition = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'ARN')).join('')) as typeof definition;
});

describe('the engagement state machine', () => {
  it('is a Standard JSONata machine that waits for approvals, then for contributions with reminders', () => {
    const props = resources[stateMachineId]?.Properties ?? {};
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.StateMachineName).toBe('AccordWorkflowTest-engagement');
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(definition.StartAt).toBe('Start');
    expect(Object.keys(definition.States).sort()).toEqual(
      [
        'Start',
        'AwaitApprovals',
        'Approved',
        'OpenRun',
        'AwaitContributions',
        'CheckContributions',
        'ContributionsOutcome',
        ...['MatchPrepare', 'MatchMode', 'MatchRun', 'MatchPartition', 'MatchRowShards', 'MatchBlocks', 'MatchBlockShards', 'MatchMerge'],
        'ExpireProposal',
        'Ended',
        'RecurringAfterLapse',
        'StartNextRunAfterLapse',
        'Lapsed',
        // Result approval and release
        'OpenResultApproval',
        'AwaitResultApproval',
        'CheckResultApproval',
        'ResultApprovalOutcome',
        'ScheduleResultsExpiry',
        'Recurring',
        'StartNextRun',
        'Released',
        'DeleteWithheldResults',
        'RecurringAfterWithheld',
        'StartNextRunAfterWithheld',
        'Withheld',
        // The other parts an execution may play: the next run of recurring terms, results expiry, deleting an ended agreement's results
        'WaitForNextRun',
        'WaitForResultsExpiry',
        'ExpireResults',
        'ExpiryOutcome',
        'ContinueExpiryWait',
        'ExpiryHandedOver',
        'ResultsExpired',
        'DeleteAgreementResults',
      ].sort(),
    );
    const awaitApprovals = definition.States.AwaitApprovals ?? {};
    expect(awaitApprovals.Resource).toBe('arn:ARN:states:::lambda:invoke.waitForTaskToken'); // the partition is a reference
    expect(awaitApprovals.TimeoutSeconds).toBe(30 * 86_400);
    expect(JSON.stringify(awaitApprovals.Catch)).toContain('States.Timeout');
    const awaitContributions = definition.States.AwaitContributions ?? {};
    expect(awaitContributions.Resource).toBe('arn:ARN:states:::lambda:invoke.waitForTaskToken');
    expect(awaitContributions.TimeoutSeconds).toBe('{% $states.input.nextCheckSeconds %}');
    expect(JSON.stringify(awaitContributions.Catch)).toContain('"Next":"CheckContributions"');
    const awaitResults = definition.States.AwaitResultApproval ?? {};
    expect(awaitResults.Resource).toBe('arn:ARN:states:::lambda:invoke.waitForTaskToken');
    expect(JSON.stringify(awaitResults.Catch)).toContain('"Next":"CheckResultApproval"');
    // Executions of itself: the next run (however the run ended) and the results expiry, each a fresh execution.
    for (const state of ['StartNextRun', 'StartNextRunAfterWithheld', 'StartNextRunAfterLapse', 'ScheduleResultsExpiry', 'ContinueExpiryWait']) {
      expect(definition.States[state]?.Resource).toBe('arn:ARN:states:::states:startExecution');
      expect(JSON.stringify(definition.States[state]?.Arguments)).toContain('$states.context.StateMachine.Id');
    }
  });

  it('logs every event to its own log group, without execution data, and is traced', () => {
    const props = resources[stateMachineId]?.Properties ?? {};
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    const logging = props.LoggingConfiguration as { Level: string; IncludeExecutionData: boolean; Destinations: unknown[] };
    expect(logging.Level).toBe('ALL');
    expect(logging.IncludeExecutionData).toBe(false);
    expect(logging.Destinations).toHaveLength(1);
  });

  it('lets only the functions that need it start, stop or answer it, and only this state machine', () => {
    const signalling = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .filter(([id]) => actions(statementsOfRoleOfFunction(id)).some((action) => action.startsWith('states:')))
      .map(([, r]) => String(r.Properties.Description));
    expect(signalling.sort()).toEqual(
      [
        'Accord API: POST /v1/agreements',
        'Accord API: POST /v1/agreements/{agreementId}/approvals',
        'Accord API: POST /v1/agreements/{agreementId}/decline',
        'Accord API: POST /v1/agreements/{agreementId}/runs/{runId}/results/approvals',
        'Accord API: POST /v1/agreements/{agreementId}/runs/{runId}/results/decline',
        'Accord API: POST /v1/agreements/{agreementId}/withdraw',
        'Accord engagement task: await-signal',
        'Accord: validates an uploaded contribution',
      ].sort(),
    );
    for (const [id] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
      for (const statement of statementsOfRoleOfFunction(id)) {
        const stateActions = (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).filter((a) => a.startsWith('states:'));
        if (stateActions.length === 0) continue;
        const resource = JSON.stringify(statement.Resource);
        expect(resource === JSON.stringify({ Ref: stateMachineId }) || resource.includes('AccordWorkflowTest-engagement'), `${id}: ${resource}`).toBe(true);
      }
    }
    const approve = functionIdWhere((fn) => fn.Properties.Description === 'Accord API: POST /v1/agreements/{agreementId}/approvals');
    expect(actions(statementsOfRoleOfFunction(approve))).toEqual(expect.arrayContaining(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']));
    expect((resources[approve]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables[ENGAGEMENT_STATE_MACHINE_ENV]).toEqual({ Ref: stateMachineId });
    const counter = functionIdWhere((fn) => fn.Properties.Description === 'Accord API: POST /v1/agreements/{agreementId}/counter-proposals');
    expect(actions(statementsOfRoleOfFunction(counter)).filter((a) => a.startsWith('states:'))).toEqual([]);
  });

  it('may invoke only its own task functions', () => {
    const roleRef = ((resources[stateMachineId]?.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleRef))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const invoked: unknown[] = statements.filter((s) => actions([s]).includes('lambda:InvokeFunction')).flatMap((s): unknown[] => (Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource]));
    const targets = new Set(invoked.map((r) => JSON.stringify(r).match(/Engagement(\w+?)Function/)?.[1]));
    expect([...targets].sort()).toEqual(
      [
        'AwaitSignal',
        'CheckContributions',
        'CheckResultApproval',
        'DeleteResults',
        'ExpireProposal',
        'OpenResultApproval',
        'OpenRun',
        ...['Prepare', 'Run', 'Partition', 'Shard', 'Blocks', 'Merge'].map((step) => `MatchingMatch${step}`),
      ].sort(),
    );
  });

  it('matches large contributions with Distributed Maps over shards, reading manifests from the results bucket', () => {
    const prepare = definition.States.MatchPrepare ?? {};
    expect(prepare.Next).toBe('MatchMode');
    expect(JSON.stringify(definition.States.MatchMode)).toContain("$states.input.mode = 'sharded'");
    expect(definition.States.MatchRun?.Next).toBe('OpenResultApproval');
    expect(definition.States.MatchMerge?.Next).toBe('OpenResultApproval');
    for (const name of ['MatchRowShards', 'MatchBlockShards']) {
      const map = definition.States[name] as { ItemProcessor: { ProcessorConfig: unknown; States: Record<string, { Arguments: { Payload: unknown } }> }; ItemReader: unknown; MaxConcurrency: number };
      expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
      expect(map.ItemReader).toEqual({
        Resource: 'arn:ARN:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Arguments: { Bucket: '{% $states.input.manifest.bucket %}', Key: '{% $states.input.manifest.key %}' },
      });
      expect(map.MaxConcurrency).toBe(16);
      expect(Object.values(map.ItemProcessor.States).map((state) => state.Arguments.Payload)).toEqual(['{% $states.input %}']);
    }
    // StartExecution on this state machine only: the Distributed Maps' child executions (by reference), and the next run and results expiry (by name).
    const roleRef = ((resources[stateMachineId]?.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleRef))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const started = statements.filter((s) => actions([s]).includes('states:StartExecution')).map((s) => JSON.stringify(s.Resource));
    expect(started.sort()).toEqual([expect.stringContaining('stateMachine:AccordWorkflowTest-engagement'), JSON.stringify({ Ref: stateMachineId })].sort());
  });
});
