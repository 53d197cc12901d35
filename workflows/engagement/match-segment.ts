import { type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import {
  Choice,
  Condition,
  DistributedMap,
  type INextable,
  S3JsonItemReader,
  type State,
  type StateMachine,
  StateMachineFragment,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { AccordFunction } from '../../infra/constructs/accord-function.ts';
import type { StorageConstruct } from '../../infra/constructs/storage.ts';
import { MATCH_SHARDS } from '../../functions/lib/match-scale.ts';

export interface MatchSegmentProps {
  readonly storage: StorageConstruct;
}

/** The functions of the matching step. */
export type MatchFunctions = Record<'matchPrepare' | 'matchRun' | 'matchPartition' | 'matchShard' | 'matchBlocks' | 'matchMerge', AccordFunction>;

/** The manifests the Distributed Maps read: `results/{agr}/{run}/shards/{rows,blocks}.json` (functions/lib/match-shards.ts). */
const MANIFEST_OBJECTS = 'results/*/shards/*.json';

/**
 * The matching step of an engagement, from "both contributions are in" to
 * "matched, awaiting release" (docs/matching.md, "Scale-out"):
 *
 *   MatchPrepare ─ MatchMode ─(inline: both files ≤ 64 MiB)─> MatchRun ──────────────────────────────────────┐
 *                            └(sharded)─> MatchPartition ─> MatchRowShards ─> MatchBlocks ─> MatchBlockShards ─> MatchMerge ─┴─> (next)
 *
 * The two `...Shards` states are Distributed Maps (child executions of this
 * state machine, STANDARD) whose ItemReader reads a JSON manifest of shard
 * items from the results bucket; each child invokes the shard function on
 * one item. Both paths end in the same output: agreementId, runId, status
 * and pairs.
 */
export class MatchSegment extends StateMachineFragment {
  readonly startState: State;
  readonly endStates: INextable[];
  readonly functions: MatchFunctions;
  private readonly storage: StorageConstruct;

  constructor(scope: Construct, id: string, props: MatchSegmentProps) {
    super(scope, id);
    this.storage = props.storage;
    const storage = props.storage;
    // Streams, matches in memory or holds a shard's share: minutes and gigabytes at a million rows a side.
    const big = (name: string, entry: string, memorySize = 3008) =>
      new AccordFunction(this, `${name}Function`, { entry: `functions/tasks/${entry}.ts`, description: `Accord engagement task: ${entry}`, timeout: Duration.minutes(15), memorySize });
    this.functions = {
      matchPrepare: new AccordFunction(this, 'MatchPrepareFunction', { entry: 'functions/tasks/match-prepare.ts', description: 'Accord engagement task: match-prepare', timeout: Duration.seconds(30) })
        .bindTable(storage, 'read')
        .bindBucket(storage, 'uploads', 'read', 'contributions/'),
      matchRun: big('MatchRun', 'match-run')
        .bindTable(storage, 'readWrite')
        .bindBucket(storage, 'uploads', 'read', 'contributions/')
        .bindBucket(storage, 'results', 'write', 'results/'),
      matchPartition: big('MatchPartition', 'match-partition')
        .bindTable(storage, 'readWrite')
        .bindBucket(storage, 'uploads', 'read', 'contributions/')
        .bindBucket(storage, 'results', 'write', 'results/'),
      matchShard: big('MatchShard', 'match-shard', 2048).bindBucket(storage, 'results', 'readWrite', 'results/'),
      matchBlocks: big('MatchBlocks', 'match-blocks').bindBucket(storage, 'results', 'readWrite', 'results/'),
      matchMerge: big('MatchMerge', 'match-merge')
        .bindTable(storage, 'readWrite')
        .bindBucket(storage, 'uploads', 'read', 'contributions/')
        .bindBucket(storage, 'results', 'readWrite', 'results/'),
    };
    const { matchPrepare, matchRun, matchPartition, matchShard, matchBlocks, matchMerge } = this.functions;
    // True deletion: every version of the run's raw uploads (match-run, match-merge) and of the shard files (match-merge).
    for (const fn of [matchRun, matchMerge]) this.grantPurge(fn, 'uploads', 'contributions/');
    this.grantPurge(matchMerge, 'results', 'results/');

    const now = '{% $states.context.State.EnteredTime %}';
    const agreementId = '{% $states.input.agreementId %}';
    const runId = '{% $states.input.runId %}';
    const invoke = (name: string, fn: AccordFunction, payload: Record<string, unknown>, outputs: Record<string, string>) =>
      LambdaInvoke.jsonata(this, name, { lambdaFunction: fn, payload: TaskInput.fromObject(payload), outputs });
    const done = { agreementId, runId, status: '{% $states.result.Payload.status %}', pairs: '{% $states.result.Payload.pairs %}' };

    const prepare = invoke(
      'MatchPrepare',
      matchPrepare,
      { agreementId, runId, now },
      { agreementId, runId, mode: '{% $states.result.Payload.mode %}', shards: '{% $states.result.Payload.shards %}' },
    );
    const inline = invoke('MatchRun', matchRun, { agreementId, runId, now }, done);
    const partition = invoke(
      'MatchPartition',
      matchPartition,
      { agreementId, runId, now, shards: '{% $states.input.shards %}' },
      { agreementId, runId, manifest: '{% $states.result.Payload.manifest %}' },
    );
    const shards = (name: string) => {
      const map = DistributedMap.jsonata(this, `Match${name}Shards`, {
        itemReader: new S3JsonItemReader({ bucketNamePath: '{% $states.input.manifest.bucket %}', key: '{% $states.input.manifest.key %}' }),
        mapExecutionType: StateMachineType.STANDARD,
        maxConcurrency: MATCH_SHARDS,
        label: `Match${name}Shards`,
        // The shards write their results to S3; the Map passes on only what the next step reads.
        outputs: { agreementId, runId },
      });
      // No ToleratedFailure*: a Map Run tolerates no failed item unless told (and CDK does not render a 0).
      return map.itemProcessor(
        LambdaInvoke.jsonata(this, `Match${name}Shard`, { lambdaFunction: matchShard, payload: TaskInput.fromText('{% $states.input %}'), outputs: '{% $states.result.Payload %}' }),
      );
    };
    const blocks = invoke('MatchBlocks', matchBlocks, { agreementId, runId }, { agreementId, runId, manifest: '{% $states.result.Payload.manifest %}' });
    const merge = invoke('MatchMerge', matchMerge, { agreementId, runId, now }, done);
    partition.next(shards('Row')).next(blocks).next(shards('Block')).next(merge);

    const mode = Choice.jsonata(this, 'MatchMode').when(Condition.jsonata("{% $states.input.mode = 'sharded' %}"), partition).otherwise(inline);
    prepare.next(mode);
    this.startState = prepare;
    this.endStates = mode.afterwards().endStates;
  }

  /**
   * What the state machine itself needs for the matching step: reading the
   * Distributed Maps' manifests (the ItemReader runs as the state machine's
   * role), and the acknowledgements of the grants CDK makes for Distributed
   * Maps: DescribeExecution, StopExecution and RedriveExecution on the child
   * executions of this one state machine.
   */
  bindStateMachine(stateMachine: StateMachine): void {
    const stack = Stack.of(this);
    const bucket = this.storage.buckets.results;
    Grant.addToPrincipal({ grantee: stateMachine.role, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(MANIFEST_OBJECTS)] });
    this.storage.key.grant(stateMachine.role, 'kms:Decrypt');
    const bucketId = stack.resolve((bucket.node.defaultChild as CfnResource).logicalId) as string;
    Validations.of(stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${MANIFEST_OBJECTS}]`,
      reason: "The Distributed Maps' ItemReader reads the shard manifests of any run: results/{agreement}/{run}/shards/*.json; an object ARN ends in a wildcard.",
    });
    // CDK names the executions by the state machine's name, taken from its ARN.
    const machineId = stack.resolve((stateMachine.node.defaultChild as CfnResource).logicalId) as string;
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${machineId}"}]}]}`;
    for (const label of ['', '/MatchRowShards', '/MatchBlockShards']) {
      Validations.of(stateMachine).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${executions}${label}:*]`,
        reason: 'A Distributed Map starts child executions of its own state machine and describes, stops and redrives them: the grant covers the executions of this one state machine (of its Map Runs) only.',
      });
    }
  }

  /** Lets `fn` list every version under `keyPrefix` and delete any of them: the true deletion of lib/delete-uploads.ts. */
  private grantPurge(fn: AccordFunction, bucketRole: 'uploads' | 'results', keyPrefix: string): void {
    this.storage.grantPurge(fn, bucketRole, keyPrefix);
    const bucket = this.storage.buckets[bucketRole];
    const bucketId = Stack.of(this).resolve((bucket.node.defaultChild as CfnResource).logicalId) as string;
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${keyPrefix}*]`,
        reason: `Deleting every version of the objects under ${keyPrefix} of the ${bucketRole} bucket; an object ARN ends in a wildcard.`,
      });
    }
  }
}
