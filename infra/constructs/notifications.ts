import { Duration, Stack } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NOTIFICATION_ENV } from '../../functions/notifications/config.ts';
import { AccordFunction } from './accord-function.ts';
import type { StorageConstruct } from './storage.ts';

export interface NotificationsConstructProps {
  readonly storage: StorageConstruct;
  /** `From` of every e-mail, e.g. `Accord <notifications@accord.example.com>`. */
  readonly mailFrom: string;
  /**
   * The verified SES identity that sends: a domain (`accord.example.com`) or
   * an address. @default the domain of `mailFrom`
   */
  readonly sesIdentity?: string;
  /** An SES configuration set to send with; the permission is scoped to it too. */
  readonly sesConfigurationSet?: string;
  /** How often the dispatcher runs. @default 1 minute */
  readonly schedule?: Duration;
}

/** The SES actions of SES v2 `SendEmail` (raw content is authorised by either name). */
const SES_SEND_ACTIONS = ['ses:SendEmail', 'ses:SendRawEmail'];

export function domainOf(address: string): string {
  const bare = /<([^>]+)>/.exec(address)?.[1] ?? address.trim();
  const domain = bare.split('@')[1];
  if (!domain) throw new Error(`mailFrom must contain an e-mail address (got "${address}")`);
  return domain.toLowerCase();
}

/**
 * Notifications on AWS: the dispatcher function (`functions/tasks/dispatch-notifications.ts`),
 * run every minute by an EventBridge rule. It reads and writes the table (the
 * outbox, dead letters, webhooks, partners' contact e-mails), sends e-mail
 * through SES from one identity (and configuration set, if given) only, and
 * posts webhooks over the internet.
 */
export class NotificationsConstruct extends Construct {
  readonly dispatcher: AccordFunction;
  readonly schedule: Rule;
  readonly sesIdentity: string;

  constructor(scope: Construct, id: string, props: NotificationsConstructProps) {
    super(scope, id);
    this.sesIdentity = props.sesIdentity ?? domainOf(props.mailFrom);

    this.dispatcher = new AccordFunction(this, 'DispatchNotifications', {
      entry: 'functions/tasks/dispatch-notifications.ts',
      description: 'Accord: delivers due notifications (SES e-mail, signed webhooks) from the outbox',
      // A claimed item may wait a webhook timeout (10 s) per channel; the
      // handler stops claiming 30 s before the end, and a claim lasts 5 min.
      timeout: Duration.minutes(2),
      environment: {
        [NOTIFICATION_ENV.mailFrom]: props.mailFrom,
        ...(props.sesConfigurationSet ? { [NOTIFICATION_ENV.sesConfigurationSet]: props.sesConfigurationSet } : {}),
      },
    }).bindTable(props.storage, 'readWrite');

    const stack = Stack.of(this);
    const resources = [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: this.sesIdentity })];
    if (props.sesConfigurationSet) {
      resources.push(stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: props.sesConfigurationSet }));
    }
    this.dispatcher.addToRolePolicy(new PolicyStatement({ actions: SES_SEND_ACTIONS, resources }));

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Accord: runs the notification dispatcher',
      schedule: Schedule.rate(props.schedule ?? Duration.minutes(1)),
      // A missed run is harmless: the next one a minute later finds the same due items.
      targets: [new LambdaFunction(this.dispatcher, { retryAttempts: 0 })],
    });
  }
}
