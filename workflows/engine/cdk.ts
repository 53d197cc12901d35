/**
 * Reading a synthesised CDK template: the state machine's definition with its
 * CloudFormation references resolved to local ARNs, and the local handler
 * module of every Lambda function it calls (function logical id -> entry).
 */
import { isAbsolute, join } from 'node:path';
import { type Json, type JsonObject, isObject } from './json.ts';

export interface CfnTemplate {
  Resources?: Record<string, { Type?: string; Properties?: JsonObject; Metadata?: JsonObject }>;
}

export interface LocalNames {
  region: string;
  account: string;
}

/** A local function is named after its logical id, so its ARN is predictable. */
export function localFunctionArn(logicalId: string, names: LocalNames): string {
  return `arn:aws:lambda:${names.region}:${names.account}:function:${logicalId}`;
}

function resolveIntrinsic(value: Json, template: CfnTemplate, names: LocalNames, substitutions: Record<string, string>): string {
  if (typeof value === 'string') return value;
  if (!isObject(value)) throw new Error(`Cannot resolve ${JSON.stringify(value)} locally`);
  if ('Fn::Join' in value) {
    const [sep, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((p) => resolveIntrinsic(p, template, names, substitutions)).join(sep);
  }
  if ('Ref' in value) {
    const ref = typeof value.Ref === 'string' ? value.Ref : JSON.stringify(value.Ref);
    if (ref === 'AWS::Region') return names.region;
    if (ref === 'AWS::AccountId') return names.account;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const res = template.Resources?.[ref];
    if (res?.Type === 'AWS::Lambda::Function') return ref;
    if (res?.Type === 'AWS::StepFunctions::StateMachine') return `arn:aws:states:${names.region}:${names.account}:stateMachine:${ref}`;
    return ref;
  }
  if ('Fn::GetAtt' in value) {
    const [id, attr] = value['Fn::GetAtt'] as [string, string];
    const res = template.Resources?.[id];
    if (res?.Type === 'AWS::Lambda::Function' && attr === 'Arn') return localFunctionArn(id, names);
    if (res?.Type === 'AWS::StepFunctions::StateMachine') return `arn:aws:states:${names.region}:${names.account}:stateMachine:${id}`;
    return `${id}.${attr}`;
  }
  throw new Error(`Cannot resolve ${Object.keys(value).join(',')} locally`);
}

/** The ASL of a state machine resource, with references and DefinitionSubstitutions resolved. */
export function definitionFromTemplate(template: CfnTemplate, stateMachineLogicalId: string, names: LocalNames): string {
  const res = template.Resources?.[stateMachineLogicalId];
  if (res?.Type !== 'AWS::StepFunctions::StateMachine') throw new Error(`No state machine '${stateMachineLogicalId}' in the template`);
  const props = res.Properties ?? {};
  const subs: Record<string, string> = {};
  if (isObject(props.DefinitionSubstitutions)) {
    for (const [k, v] of Object.entries(props.DefinitionSubstitutions)) subs[k] = resolveIntrinsic(v, template, names, subs);
  }
  let text = props.DefinitionString !== undefined ? resolveIntrinsic(props.DefinitionString, template, names, subs) : JSON.stringify(props.Definition ?? {});
  for (const [k, v] of Object.entries(subs)) text = text.split(`\${${k}}`).join(v);
  return text;
}

/**
 * Every Lambda function of the template with the source module that plays it:
 * the resource's `accord:entry` metadata, or the "Runs <entry>" description
 * AccordFunction gives the function's role.
 */
export function lambdaEntriesFromTemplate(template: CfnTemplate, projectRoot: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, res] of Object.entries(template.Resources ?? {})) {
    if (res.Type !== 'AWS::Lambda::Function') continue;
    let entry: string | undefined = typeof res.Metadata?.['accord:entry'] === 'string' ? res.Metadata['accord:entry'] : undefined;
    const role = res.Properties?.Role;
    if (!entry && isObject(role) && Array.isArray(role['Fn::GetAtt'])) {
      const first = role['Fn::GetAtt'][0];
      const roleId = typeof first === 'string' ? first : '';
      const description = template.Resources?.[roleId]?.Properties?.Description;
      const m = typeof description === 'string' ? /^Runs (.+)$/.exec(description) : null;
      entry = m?.[1];
    }
    if (entry) out[id] = isAbsolute(entry) ? entry : join(projectRoot, entry);
  }
  return out;
}
