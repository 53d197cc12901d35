import { ArnFormat, type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  CustomState,
  type IChainable,
  DefinitionBody,
  IntegrationPattern,
  LogLevel,
  QueryLanguage,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { AccordFunction } from '../../infra/constructs/accord-function.ts';
import type { StorageConstruct } from '../../infra/constructs/storage.ts';
import { MatchSegment, type MatchFunctions } from './match-segment.ts';
import { ENV } from '../../infra/definitions.ts';
import { ENGAGEMENT_STATE_MACHINE_ENV } from './names.ts';

/** A proposal nobody approves ends as expired after this long. */
export const PROPOSAL_EXPIRY_DAYS = 30;

/**
 * An execution that waits for results to expire waits at most this long, then
 * hands over to a fresh execution (a Standard execution lasts at most a year).
 */
export const LONGEST_EXPIRY_WAIT_DAYS = 300;


export interface EngagementWorkflowProps {
  readonly storage: StorageConstruct;
  /** @default three months */
  readonly logRetention?: RetentionDays;
}

/**
 * The engagement of one agreement, from proposal to released results, as a
 * Standard state machine in JSONata. People are waited for with
 * `.waitForTaskToken` tasks whose token the task function keeps on the
 * agreement; the API answers it. Every step takes its time from the state's
 * entry time, so a virtual clock drives the whole engagement locally.
 *
 * One execution per run. Its input says which part it plays:
 *
 *   {agreementId}              AwaitApprovals ──(both approved)──> OpenRun
 *   {agreementId, opensAt}     WaitForNextRun ──(the recurrence date)──> OpenRun
 *   {agreementId, runId, expiresAt}   WaitForResultsExpiry ─> ExpireResults (─> a fresh execution when waiting longer)
 *   {agreementId, purge: true}        DeleteAgreementResults (the agreement was withdrawn or declined)
 *
 *   OpenRun ─> AwaitContributions ⇄ CheckContributions ─(both in)─> matching ─> OpenResultApproval
 *              (reminders, escalation; deadline: [StartNextRunAfterLapse when recurring] ─> Lapsed)
 *   OpenResultApproval ─> AwaitResultApproval ⇄ CheckResultApproval (reminders)
 *        ├─(both approved)─> ScheduleResultsExpiry [─> StartNextRun when recurring] ─> Released
 *        └─(declined, deadline)─> DeleteWithheldResults [─> StartNextRunAfterWithheld when recurring] ─> Withheld
 *   AwaitApprovals timeout: ExpireProposal; declined, withdrawn: Ended
 */
export class EngagementWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly stateMachineName: string;
  readonly functions: Record<
    'awaitSignal' | 'openRun' | 'checkContributions' | 'expireProposal' | 'openResultApproval' | 'checkResultApproval' | 'deleteResults',
    AccordFunction
  > &
    MatchFunctions;

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
      // Lapsing a run deletes the upload of the side that did contribute: it may list and delete versions there, nothing else (below).
      checkContributions: task('CheckContributions', 'check-contributions').addEnvironment(ENV.uploadsBucket, props.storage.buckets.uploads.bucketName),
      expireProposal: task('ExpireProposal', 'expire-proposal'),
      // Digests the results objects for the result hash and keeps the previous run's overlap keys beside them.
      openResultApproval: task('OpenResultApproval', 'open-result-approval').bindBucket(props.storage, 'results', 'readWrite', 'results/'),
      checkResultApproval: task('CheckResultApproval', 'check-result-approval'),
      // Deletes every version under a run's results prefix and of the raw uploads the terms kept.
      deleteResults: task('DeleteResults', 'delete-results')
        .bindBucket(props.storage, 'results', 'readWrite', 'results/')
        .bindBucket(props.storage, 'uploads', 'write', 'contributions/'),
      ...matching.functions,
    };
    props.storage.grantPurge(this.functions.deleteResults, 'results', 'results/');
    props.storage.grantPurge(this.functions.deleteResults, 'uploads', 'contributions/');
    props.storage.grantPurge(this.functions.checkContributions, 'uploads', 'contributions/');
    const uploadsBucketId = Stack.of(this).resolve((props.storage.buckets.uploads.node.defaultChild as CfnResource).logicalId) as string;
    if (this.functions.checkContributions.role) {
      Validations.of(this.functions.checkContributions.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${uploadsBucketId}.Arn>/contributions/*]`,
        reason: 'Deleting every version of a lapsed run’s uploads under contributions/ of the uploads bucket; an object ARN ends in a wildcard.',
      });
    }
    const { awaitSignal, openRun, checkContributions, expireProposal, openResultApproval, checkResultApproval, deleteResults } = this.functions;

    const now = '{% $states.context.State.EnteredTime %}';
    const agreementId = '{% $states.input.agreementId %}';
    const invoke = (name: string, fn: AccordFunction, payload: Record<string, unknown>, outputs: Record<string, string>) =>
      LambdaInvoke.jsonata(this, name, { lambdaFunction: fn, payload: TaskInput.fromObject(payload), outputs });

    const ended = new Succeed(this, 'Ended', { queryLanguage: QueryLanguage.JSONATA });
    const lapsed = new Succeed(this, 'Lapsed', { queryLanguage: QueryLanguage.JSONATA });
    // However a run ends (released, withheld, lapsed), recurring terms start the next run's execution first (functions/tasks/next-run.ts).
    const thenNextRun = (after: string, end: IChainable) =>
      Choice.jsonata(this, `Recurring${after}`)
        .when(
          Condition.jsonata("{% $states.input.nextExecutionName != '' %}"),
          this.startSelf(`StartNextRun${after}`, '{% $states.input.nextExecutionName %}', { agreementId, opensAt: '{% $states.input.nextRunOpensAt %}' }, end),
        )
        .otherwise(end);
    const nextRunOutputs = { nextRunOpensAt: '{% $states.result.Payload.nextRunOpensAt %}', nextExecutionName: '{% $states.result.Payload.nextExecutionName %}' };
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
      { agreementId, runId: '{% $states.input.runId %}', outcome: '{% $states.result.Payload.outcome %}', nextCheckSeconds: '{% $states.result.Payload.nextCheckSeconds %}', ...nextRunOutputs },
    );
    awaitContributions.addCatch(check, { errors: ['States.Timeout'], outputs: '{% $states.input %}' });
    awaitContributions.next(check);
    check.next(
      Choice.jsonata(this, 'ContributionsOutcome')
        .when(Condition.jsonata("{% $states.input.outcome = 'waiting' %}"), awaitContributions)
        .when(Condition.jsonata("{% $states.input.outcome = 'contributed' %}"), contributionsIn)
        .otherwise(thenNextRun('AfterLapse', lapsed)),
    );

    // Result approval: the same wait-and-check pattern as contributions.
    const runId = '{% $states.input.runId %}';
    const released = new Succeed(this, 'Released', { queryLanguage: QueryLanguage.JSONATA });
    const withheld = new Succeed(this, 'Withheld', { queryLanguage: QueryLanguage.JSONATA });
    const openApproval = invoke(
      'OpenResultApproval',
      openResultApproval,
      { agreementId, runId, now },
      { agreementId, runId, nextCheckSeconds: '{% $states.result.Payload.nextCheckSeconds %}' },
    );
    const awaitResults = LambdaInvoke.jsonata(this, 'AwaitResultApproval', {
      lambdaFunction: awaitSignal,
      integrationPattern: IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: TaskInput.fromObject({ agreementId, runId, waitingFor: 'results', taskToken: '{% $states.context.Task.Token %}', now }),
      // Wake up for the next reminder or the deadline, whichever is first.
      taskTimeout: Timeout.jsonata('{% $states.input.nextCheckSeconds %}'),
      outputs: { agreementId, runId },
    });
    const checkResults = invoke(
      'CheckResultApproval',
      checkResultApproval,
      { agreementId, runId, now },
      {
        agreementId,
        runId,
        outcome: '{% $states.result.Payload.outcome %}',
        nextCheckSeconds: '{% $states.result.Payload.nextCheckSeconds %}',
        expiresAt: '{% $states.result.Payload.expiresAt %}',
        ...nextRunOutputs,
      },
    );
    awaitResults.addCatch(checkResults, { errors: ['States.Timeout'], outputs: '{% $states.input %}' });
    awaitResults.next(checkResults);
    contributionsIn.next(openApproval);
    openApproval.next(awaitResults);

    // Released: a fresh execution waits for the results' expiry; recurring terms start the next run's execution.
    const scheduleExpiry = this.startSelf('ScheduleResultsExpiry', "{% $states.input.runId & '-expiry' %}", { agreementId, runId, expiresAt: '{% $states.input.expiresAt %}' }, thenNextRun('', released));
    // Withheld: the results go; recurring terms go on to the next run all the same.
    const deleteWithheld = invoke(
      'DeleteWithheldResults',
      deleteResults,
      { agreementId, runId, because: 'withheld', now },
      { agreementId, runId, nextRunOpensAt: '{% $states.input.nextRunOpensAt %}', nextExecutionName: '{% $states.input.nextExecutionName %}' },
    ).next(thenNextRun('AfterWithheld', withheld));
    checkResults.next(
      Choice.jsonata(this, 'ResultApprovalOutcome')
        .when(Condition.jsonata("{% $states.input.outcome = 'waiting' %}"), awaitResults)
        .when(Condition.jsonata("{% $states.input.outcome = 'released' %}"), scheduleExpiry)
        .otherwise(deleteWithheld),
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

    // Results expiry, in its own execution: waits (a fresh execution takes over past LONGEST_EXPIRY_WAIT_DAYS), then deletes.
    const expired = new Succeed(this, 'ResultsExpired', { queryLanguage: QueryLanguage.JSONATA });
    const expireResults = invoke('ExpireResults', deleteResults, { agreementId, runId, because: 'expired', now }, { agreementId, runId, expiresAt: '{% $states.input.expiresAt %}', outcome: '{% $states.result.Payload.outcome %}' });
    const continueExpiry = this.startSelf(
      'ContinueExpiryWait',
      "{% $states.input.runId & '-expiry-' & $string($toMillis($states.context.State.EnteredTime)) %}",
      { agreementId, runId, expiresAt: '{% $states.input.expiresAt %}' },
      new Succeed(this, 'ExpiryHandedOver', { queryLanguage: QueryLanguage.JSONATA }),
    );
    const waitForExpiry = Wait.jsonata(this, 'WaitForResultsExpiry', {
      time: WaitTime.timestamp(
        `{% $fromMillis($min([$toMillis($states.input.expiresAt), $toMillis($states.context.State.EnteredTime) + ${LONGEST_EXPIRY_WAIT_DAYS * 86_400_000}])) %}`,
      ),
    }).next(expireResults);
    expireResults.next(
      Choice.jsonata(this, 'ExpiryOutcome')
        .when(Condition.jsonata("{% $states.input.outcome = 'later' %}"), continueExpiry)
        .otherwise(expired),
    );
    const waitForNextRun = Wait.jsonata(this, 'WaitForNextRun', { time: WaitTime.timestamp('{% $states.input.opensAt %}') }).next(open);
    const deleteAll = invoke('DeleteAgreementResults', deleteResults, { agreementId, because: 'agreement_ended', now }, { agreementId }).next(ended);
    const start = Choice.jsonata(this, 'Start')
      .when(Condition.jsonata('{% $exists($states.input.expiresAt) %}'), waitForExpiry)
      .when(Condition.jsonata('{% $exists($states.input.opensAt) %}'), waitForNextRun)
      .when(Condition.jsonata('{% $states.input.purge = true %}'), deleteAll)
      .otherwise(awaitApprovals);

    const logs = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.RETAIN });
    const stateMachineName = `${Stack.of(this).stackName}-engagement`;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSONATA,
      definitionBody: DefinitionBody.fromChainable(start),
      comment: 'Accord engagement: approvals, a run, contributions, matching, result approval and release; results expiry',
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
    // The state machine starts executions of itself (the next run, the results expiry), named by a constructed ARN.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [Stack.of(this).formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }),
    );
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

  /**
   * A task starting another execution of this state machine (`$states.context.StateMachine.Id`)
   * with `input`, fire and forget. An execution of that name that exists already is fine: it is
   * the one a retried step started (AWS answers the same input idempotently while it runs).
   */
  private startSelf(id: string, name: string, input: Record<string, unknown>, then: IChainable): CustomState {
    const state = new CustomState(this, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::states:startExecution`,
        Arguments: { StateMachineArn: '{% $states.context.StateMachine.Id %}', Name: name, Input: input },
        Output: '{% $states.input %}',
        // The catch goes where `next` goes, so the graph knows the state; CustomState.addCatch drops a JSONata Output.
        Catch: [
          {
            ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException', 'StepFunctions.ExecutionAlreadyExists'],
            Next: then.startState.stateId,
            Output: '{% $states.input %}',
          },
        ],
      },
    });
    state.next(then);
    return state;
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
