import { ArnFormat, type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  IntegrationPattern,
  LogLevel,
  QueryLanguage,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AccordFunction } from '../../infra/constructs/accord-function.ts';
import type { StorageConstruct } from '../../infra/constructs/storage.ts';
import { MatchSegment, type MatchFunctions } from './match-segment.ts';
import { ENGAGEMENT_STATE_MACHINE_ENV } from './names.ts';

/** A proposal nobody approves ends as expired after this long. */
export const PROPOSAL_EXPIRY_DAYS = 30;


export interface EngagementWorkflowProps {
  readonly storage: StorageConstruct;
  /** @default three months */
  readonly logRetention?: RetentionDays;
}

/**
 * The engagement of one agreement, from proposal to matched results awaiting
 * release (result approval and release follow), as a Standard state machine
 * in JSONata. People are waited for with `.waitForTaskToken` tasks whose token
 * the task function keeps on the agreement; the API answers it. Every step
 * takes its time from the state's entry time, so a virtual clock drives the
 * whole engagement locally.
 *
 *   AwaitApprovals ──(both approved)──> OpenRun ─> AwaitContributions ⇄ CheckContributions
 *        │ timeout: ExpireProposal              (timeout: reminders, escalation)   │
 *        └─(declined, withdrawn)─> Ended              lapsed <─ deadline ──────────┤
 *                                      matching (match-segment.ts) <─ both in ─────┘
 */
export class EngagementWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;
  readonly functions: Record<'awaitSignal' | 'openRun' | 'checkContributions' | 'expireProposal', AccordFunction> & MatchFunctions;

  constructor(scope: Construct, id: string, props: EngagementWorkflowProps) {
    super(scope, id);
    const task = (name: string, entry: string) =>
      new AccordFunction(this, `${name}Function`, { entry: `functions/tasks/${entry}.ts`, description: `Accord engagement task: ${entry}`, timeout: Duration.seconds(30) }).bindTable(
        props.storage,
        'readWrite',
      );
    // Both contributions in: match them, in one task or sharded over a Distributed Map (match-segment.ts).
    const matching = new MatchSegment(this, 'Matching', { storage: props.storage });
    this.functions = {
      awaitSignal: task('AwaitSignal', 'await-signal'),
      openRun: task('OpenRun', 'open-run'),
      checkContributions: task('CheckContributions', 'check-contributions'),
      expireProposal: task('ExpireProposal', 'expire-proposal'),
      ...matching.functions,
    };
    const { awaitSignal, openRun, checkContributions, expireProposal } = this.functions;

    const now = '{% $states.context.State.EnteredTime %}';
    const agreementId = '{% $states.input.agreementId %}';
    const invoke = (name: string, fn: AccordFunction, payload: Record<string, unknown>, outputs: Record<string, string>) =>
      LambdaInvoke.jsonata(this, name, { lambdaFunction: fn, payload: TaskInput.fromObject(payload), outputs });

    const ended = new Succeed(this, 'Ended', { queryLanguage: QueryLanguage.JSONATA });
    const lapsed = new Succeed(this, 'Lapsed', { queryLanguage: QueryLanguage.JSONATA });
    const contributionsIn = matching;
    const expire = invoke('ExpireProposal', expireProposal, { agreementId, now }, { agreementId, status: '{% $states.result.Payload.status %}' }).next(ended);

    const awaitContributions = LambdaInvoke.jsonata(this, 'AwaitContributions', {
      lambdaFunction: awaitSignal,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ agreementId, runId: '{% $states.input.runId %}', waitingFor: 'contributions', taskToken: '{% $states.context.Task.Token %}', now }),
      // Wake up for the next reminder, escalation or the deadline, whichever is first.
      taskTimeout: Timeout.jsonata('{% $states.input.nextCheckSeconds %}'),
      outputs: { agreementId, runId: '{% $states.input.runId %}' },
    });
    const check = invoke(
      'CheckContributions',
      checkContributions,
      { agreementId, runId: '{% $states.input.runId %}', now },
      { agreementId, runId: '{% $states.input.runId %}', outcome: '{% $states.result.Payload.outcome %}', nextCheckSeconds: '{% $states.result.Payload.nextCheckSeconds %}' },
    );
    awaitContributions.addCatch(check, { errors: ['States.Timeout'], outputs: '{% $states.input %}' });
    awaitContributions.next(check);
    check.next(
      Choice.jsonata(this, 'ContributionsOutcome')
        .when(Condition.jsonata("{% $states.input.outcome = 'waiting' %}"), awaitContributions)
        .when(Condition.jsonata("{% $states.input.outcome = 'contributed' %}"), contributionsIn.next(ended))
        .otherwise(lapsed),
    );

    const open = invoke(
      'OpenRun',
      openRun,
      { agreementId, executionName: '{% $states.context.Execution.Name %}', now },
      { agreementId, runId: '{% $states.result.Payload.runId %}', nextCheckSeconds: '{% $states.result.Payload.nextCheckSeconds %}' },
    );
    open.next(awaitContributions);

    const awaitApprovals = LambdaInvoke.jsonata(this, 'AwaitApprovals', {
      lambdaFunction: awaitSignal,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ agreementId, waitingFor: 'approvals', taskToken: '{% $states.context.Task.Token %}', now }),
      taskTimeout: Timeout.duration(Duration.days(PROPOSAL_EXPIRY_DAYS)),
      outputs: { agreementId, status: '{% $states.result.status %}' },
    });
    awaitApprovals.addCatch(expire, { errors: ['States.Timeout'], outputs: '{% $states.input %}' });
    awaitApprovals.next(
      Choice.jsonata(this, 'Approved')
        .when(Condition.jsonata("{% $states.input.status = 'awaiting_contributions' %}"), open)
        .otherwise(ended),
    );

    const logs = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    const stateMachineName = `${Stack.of(this).stackName}-engagement`;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSONATA,
      definitionBody: DefinitionBody.fromChainable(awaitApprovals),
      comment: 'Accord engagement: approvals, run, contributions',
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
    // The wait task answers its own wait when the condition already holds. Its
    // grant names the state machine by a constructed ARN: a reference to the
    // state machine would make the function depend on what depends on it.
    awaitSignal.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    this.stateMachineName = stateMachineName;
    const role = this.stateMachine.role;
    matching.bindStateMachine(this.stateMachine);
    {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray tracing and CloudWatch Logs delivery of the state machine (xray:PutTraceSegments, logs:CreateLogDelivery and the like) support no resource-level permissions.',
      });
      for (const fn of Object.values(this.functions)) {
        const logicalId = Stack.of(this).resolve((fn.node.defaultChild as CfnResource).logicalId) as string;
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
          reason: 'Step Functions may invoke any version or alias of its own task function (the ARN with a qualifier); nothing else.',
        });
      }
    }
  }

  /** Lets the function answer this state machine's task tokens, nothing more (e.g. when both contributions are in). */
  grantAnswer(fn: AccordFunction): void {
    this.stateMachine.grantTaskResponse(fn);
  }

  /** Lets the function start and stop engagements and answer this state machine's task tokens, nothing more. */
  grantStartAndSignal(fn: AccordFunction): void {
    fn.addEnvironment(ENGAGEMENT_STATE_MACHINE_ENV, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
    this.stateMachine.grantTaskResponse(fn);
    const executions = `${this.stateMachineName}:*`;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StopExecution', 'states:DescribeExecution'],
        resources: [Stack.of(this).formatArn({ service: 'states', resource: 'execution', resourceName: executions, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${executions}]`,
        reason: 'An execution ARN is the state machine name and the execution name; the grant covers the executions of this one state machine only.',
      });
    }
  }
}
