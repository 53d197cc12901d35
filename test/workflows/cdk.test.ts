import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalStepFunctions } from '../../local/stepfunctions-service.ts';
import { type CfnTemplate, definitionFromTemplate, lambdaEntriesFromTemplate } from '../../workflows/engine/cdk.ts';
import { loadProgram } from '../../workflows/engine/program.ts';

// The shape `cdk synth` gives a JSONata state machine calling a NodejsFunction.
const template: CfnTemplate = {
  Resources: {
    OpenRunRole1A2B: { Type: 'AWS::IAM::Role', Properties: { Description: 'Runs functions/tasks/open-run.ts' } },
    OpenRun9F3C: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'index.handler', Role: { 'Fn::GetAtt': ['OpenRunRole1A2B', 'Arn'] } } },
    Engagement77: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Join': [
            '',
            [
              '{"QueryLanguage":"JSONata","StartAt":"Open","States":{"Open":{"Type":"Task","Resource":"arn:',
              { Ref: 'AWS::Partition' },
              ':states:::lambda:invoke","Arguments":{"FunctionName":"',
              { 'Fn::GetAtt': ['OpenRun9F3C', 'Arn'] },
              '","Payload":"{% $states.input %}"},"End":true}}}',
            ],
          ],
        },
      },
    },
  },
};

describe('CDK template', () => {
  it('resolves the definition to local ARNs and finds each function entry', () => {
    const text = definitionFromTemplate(template, 'Engagement77', { region: 'us-east-1', account: '000000000000' });
    expect(JSON.parse(text)).toMatchObject({ States: { Open: { Resource: 'arn:aws:states:::lambda:invoke', Arguments: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:OpenRun9F3C' } } } });
    expect(() => loadProgram(text)).not.toThrow();
    expect(lambdaEntriesFromTemplate(template, '/repo')).toEqual({ OpenRun9F3C: '/repo/functions/tasks/open-run.ts' });
  });

  it('registers the template\'s state machines with the local service under their logical ids', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'accord-sfn-cdk-'));
    try {
      const local = await startLocalStepFunctions({ dataDir, template, projectRoot: '/repo' });
      try {
        const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:Engagement77';
        expect(local.stateMachines).toEqual({ Engagement77: arn });
        expect(local.environment).toEqual({ AWS_ENDPOINT_URL_SFN: local.service.endpoint, ACCORD_STATE_MACHINE_ENGAGEMENT77: arn });
        expect(local.service.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      } finally {
        await local.service.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
