import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AccordStack } from './accord-stack.ts';

/**
 * The CDK app (`cdk.json` runs it). One stack per stage; the stage comes from
 * context (`npx cdk deploy -c stage=prod`) so that several can live in one
 * account. Account and region come from the CLI's environment at deploy time.
 */
const app = new App();

const stageContext: unknown = app.node.tryGetContext('stage');
const stage = typeof stageContext === 'string' && stageContext !== '' ? stageContext : 'dev';
if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
  throw new Error(`context "stage" must be lower-case letters, digits and dashes (got "${stage}")`);
}

const stack = new AccordStack(app, `Accord-${stage}`);
Tags.of(stack).add('app', 'accord');
Tags.of(stack).add('stage', stage);

// cdk-nag runs on every synth as a policy-validation plugin: an
// unacknowledged finding (error or warning) fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
