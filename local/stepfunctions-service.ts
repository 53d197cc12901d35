/**
 * The Step Functions part of the embedded stack: the local service on the
 * data folder, with every state machine of a synthesised CDK template
 * registered under its logical id (so the application finds
 * arn:aws:states:us-east-1:000000000000:stateMachine:<logicalId>) and every
 * Lambda function of the template played by its handler module.
 */
import type { CfnTemplate } from '../workflows/engine/cdk.ts';
import { definitionFromTemplate, lambdaEntriesFromTemplate } from '../workflows/engine/cdk.ts';
import { type StepFunctionsService, startStepFunctionsService } from '../workflows/service/service.ts';

export interface LocalStepFunctionsOptions {
  dataDir: string;
  /** The synthesised template (cdk.out/<stack>.template.json, parsed); without one, nothing is registered. */
  template?: CfnTemplate;
  /** Where the template's function entries are relative to. */
  projectRoot: string;
  port?: number;
  clock?: 'real' | 'virtual';
  log?: (line: string) => void;
}

export interface LocalStepFunctions {
  service: StepFunctionsService;
  /** State machine logical id -> ARN. */
  stateMachines: Record<string, string>;
  /** AWS_ENDPOINT_URL_SFN, and ACCORD_STATE_MACHINE_<LOGICAL_ID> for each registered machine. */
  environment: Record<string, string>;
}

export async function startLocalStepFunctions(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  const names = { region: 'us-east-1', account: '000000000000' };
  const entries = options.template ? lambdaEntriesFromTemplate(options.template, options.projectRoot) : {};
  const service = await startStepFunctionsService({
    dataDir: options.dataDir,
    ...(options.port !== undefined ? { port: options.port } : {}),
    clock: options.clock ?? 'real',
    resolveLambda: (name) => entries[name],
    ...names,
    ...(options.log ? { log: options.log } : {}),
  });
  const stateMachines: Record<string, string> = {};
  const environment: Record<string, string> = { ...service.environment };
  try {
    for (const [id, resource] of Object.entries(options.template?.Resources ?? {})) {
      if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
      const arn = await service.registerStateMachine(id, definitionFromTemplate(options.template ?? {}, id, names));
      stateMachines[id] = arn;
      environment[`ACCORD_STATE_MACHINE_${id.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}`] = arn;
    }
  } catch (err) {
    await service.stop();
    throw err;
  }
  return { service, stateMachines, environment };
}
