import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EngagementWorkflow } from '../../workflows/engagement/engagement-workflow.ts';
import { AccordFunction } from './accord-function.ts';
import type { StorageConstruct } from './storage.ts';

export interface ContributionsConstructProps {
  readonly storage: StorageConstruct;
  readonly engagement: EngagementWorkflow;
}

/**
 * Validation of uploaded contributions: the uploads bucket sends EventBridge
 * an event for every object created, and a rule passes those under
 * `contributions/` to a function; it streams the
 * object, writes the report, and when both sides are in, answers the
 * engagement's wait. The embedded stack delivers s3rver's events to the same
 * handler (local/s3-events.ts).
 */
export class ContributionsConstruct extends Construct {
  readonly uploadedFunction: AccordFunction;

  constructor(scope: Construct, id: string, props: ContributionsConstructProps) {
    super(scope, id);
    this.uploadedFunction = new AccordFunction(this, 'ContributionUploaded', {
      entry: 'functions/events/contribution-uploaded.ts',
      description: 'Accord: validates an uploaded contribution',
      // Streams up to 512 MiB: minutes, not seconds, and memory for the parser's buffers only.
      timeout: Duration.minutes(15),
      memorySize: 1024,
    })
      .bindTable(props.storage, 'readWrite')
      .bindBucket(props.storage, 'uploads', 'read', 'contributions/');
    // A file a blind agreement refuses is deleted for good, every version: it may be the clear list, uploaded by mistake.
    props.storage.grantPurge(this.uploadedFunction, 'uploads', 'contributions/');
    props.engagement.grantAnswer(this.uploadedFunction);
    // The bucket's native EventBridge notifications, set on the CloudFormation
    // resource: CDK's addEventNotification would add a custom-resource Lambda
    // with an AWS managed policy, and a direct S3 -> Lambda notification
    // would make the bucket and the function depend on each other.
    const uploads = props.storage.buckets.uploads;
    (uploads.node.defaultChild as CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    new Rule(this, 'ContributionCreated', {
      description: 'An object was created under contributions/ in the uploads bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [uploads.bucketName] }, object: { key: [{ prefix: 'contributions/' }] } },
      },
      targets: [new LambdaFunction(this.uploadedFunction, { retryAttempts: 4 })],
    });
  }
}
