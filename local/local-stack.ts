/**
 * The embedded stack's view of the CDK app: the same stack that deploys to
 * AWS, synthesised in-process (no bundling), so that the local Step Functions
 * runtime runs exactly the ASL that CDK produces and the functions find the
 * state machines under the same environment variables as on Lambda.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { AccordStack } from '../infra/accord-stack.ts';
import { PROJECT_ROOT } from '../infra/constructs/accord-function.ts';
import { LOCAL_MAIL_FROM } from '../functions/notifications/config.ts';
import type { CfnTemplate } from '../workflows/engine/cdk.ts';
import { type LocalStepFunctions, startLocalStepFunctions } from './stepfunctions-service.ts';

export const LOCAL_STACK_NAME = 'Accord-local';

/** The CloudFormation template of the Accord stack, synthesised without bundling. */
export async function synthLocalTemplate(): Promise<CfnTemplate> {
  const cdkJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const outdir = await mkdtemp(join(tmpdir(), 'accord-synth-'));
  try {
    // Locally e-mail goes to the outbox folder, so any sender will do; naming one keeps the synth quiet.
    const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], mailFrom: LOCAL_MAIL_FROM } });
    const stack = new AccordStack(app, LOCAL_STACK_NAME);
    return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/**
 * Every function environment variable that names a state machine
 * (`{"Ref": "<state machine>"}` in the template), set to the ARN under which
 * the local runtime registered it.
 */
export function stateMachineVariables(template: CfnTemplate, stateMachines: Record<string, string>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const resource of Object.values(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const environment = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [name, value] of Object.entries(environment)) {
      const ref = typeof value === 'object' && value !== null && 'Ref' in value ? (value).Ref : undefined;
      const arn = typeof ref === 'string' ? stateMachines[ref] : undefined;
      if (arn) variables[name] = arn;
    }
  }
  return variables;
}

/** The local Step Functions runtime with every state machine of the stack, and the variables the functions need. */
export async function startLocalWorkflows(options: { dataDir: string; clock?: 'real' | 'virtual'; port?: number }): Promise<LocalStepFunctions> {
  const template = await synthLocalTemplate();
  const local = await startLocalStepFunctions({ ...options, template, projectRoot: PROJECT_ROOT });
  return { ...local, environment: { ...local.environment, ...stateMachineVariables(template, local.stateMachines) } };
}
