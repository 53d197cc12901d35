import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiConstruct } from './constructs/api.ts';
import { NotificationsConstruct } from './constructs/notifications.ts';
import { ContributionsConstruct } from './constructs/contributions.ts';
import { StorageConstruct } from './constructs/storage.ts';
import { ROUTES, type RouteDefinition } from '../functions/api/routes.ts';
import { EngagementWorkflow } from '../workflows/engagement/engagement-workflow.ts';

/**
 * Accord on AWS. The stack only wires the constructs; each one holds its
 * concern (and its cdk-nag suppressions). It is environment-agnostic: no
 * account or region lookups, so it synthesises offline without credentials.
 */
export class AccordStack extends Stack {
  readonly storage: StorageConstruct;
  readonly api: ApiConstruct;
  readonly engagement: EngagementWorkflow;
  readonly contributions: ContributionsConstruct;
  readonly notifications: NotificationsConstruct;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'Accord: governed account-mapping agreements (table, buckets, HTTP API)',
      ...props,
    });

    this.storage = new StorageConstruct(this, 'Storage');
    this.api = new ApiConstruct(this, 'Api', { storage: this.storage });

    // E-mail sender from context: -c mailFrom='Accord <notifications@accord.example.com>'
    // [-c sesIdentity=accord.example.com] [-c sesConfigurationSet=accord].
    const mailFrom = contextString(this, 'mailFrom');
    if (!mailFrom) {
      Annotations.of(this).addWarningV2(
        'accord:mail-from',
        `no -c mailFrom given: e-mail is sent from ${PLACEHOLDER_MAIL_FROM}, which SES will refuse; pass your verified sender`,
      );
    }
    this.notifications = new NotificationsConstruct(this, 'Notifications', {
      storage: this.storage,
      mailFrom: mailFrom ?? PLACEHOLDER_MAIL_FROM,
      sesIdentity: contextString(this, 'sesIdentity'),
      sesConfigurationSet: contextString(this, 'sesConfigurationSet'),
    });

    // The engagement state machine: the local runtime runs the very ASL this synthesises.
    this.engagement = new EngagementWorkflow(this, 'Engagement', { storage: this.storage });
    this.contributions = new ContributionsConstruct(this, 'Contributions', { storage: this.storage, engagement: this.engagement });
    for (const route of ROUTES as readonly RouteDefinition[]) {
      const fn = this.api.functions.get(route.handler);
      if (route.signalsWorkflow && fn) this.engagement.grantStartAndSignal(fn);
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'TableName', { value: this.storage.table.tableName, description: 'The single DynamoDB table' });
    new CfnOutput(this, 'UploadsBucketName', { value: this.storage.buckets.uploads.bucketName, description: 'Bucket of uploaded contributions' });
    new CfnOutput(this, 'EngagementStateMachineArn', { value: this.engagement.stateMachine.stateMachineArn, description: 'The engagement workflow' });
    new CfnOutput(this, 'ResultsBucketName', { value: this.storage.buckets.results.bucketName, description: 'Bucket of match results' });
  }
}

/** Used when no sender is configured, so the stack still synthesises (and tests run) offline. */
const PLACEHOLDER_MAIL_FROM = 'Accord <notifications@accord.example.com>';

function contextString(scope: Construct, name: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
