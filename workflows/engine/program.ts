/**
 * Loading a definition: structure checked by asl-validator, every Task
 * resource checked against what the local runtime can run, every block of
 * states (root, Parallel branches, Map processors) indexed by a stable key.
 */
import { createRequire } from 'node:module';
import { installCompiledSchemaCheck } from './asl-schema.ts';
import { DefinitionError } from './errors.ts';
import { ITEM_READER_INPUT_TYPES, type ItemReaderInputType, isGetObjectReader } from './item-reader.ts';
import { type Json, isObject } from './json.ts';
import type { QueryLanguage, StateDef, StateMachineDefinition, StatesBlock } from './types.ts';

type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errors: { Message?: string; message?: string; 'Error code'?: string }[];
  errorsText: (separator?: string) => string;
};
const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as AslValidator;
installCompiledSchemaCheck();

export type ResourceKind =
  | { kind: 'lambda-function'; functionArn: string }
  | { kind: 'lambda-invoke'; waitForTaskToken: boolean }
  | { kind: 'start-execution'; mode: 'async' | 'sync' | 'sync2' | 'token' };

/** What a Task's Resource ARN asks for, or undefined when the local runtime cannot run it. */
export function parseResource(resource: string): ResourceKind | undefined {
  if (/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/.test(resource)) {
    return { kind: 'lambda-function', functionArn: resource };
  }
  const m = /^arn:aws[a-z-]*:states:[a-z0-9-]*:\d{0,12}:([a-z]+):([A-Za-z]+)(\.[A-Za-z]+(:2)?)?$/.exec(resource);
  if (!m) return undefined;
  const [, service, api, suffix] = m;
  if (service === 'lambda' && api === 'invoke') {
    if (suffix === undefined) return { kind: 'lambda-invoke', waitForTaskToken: false };
    if (suffix === '.waitForTaskToken') return { kind: 'lambda-invoke', waitForTaskToken: true };
  }
  if (service === 'states' && api === 'startExecution') {
    if (suffix === undefined) return { kind: 'start-execution', mode: 'async' };
    if (suffix === '.sync') return { kind: 'start-execution', mode: 'sync' };
    if (suffix === '.sync:2') return { kind: 'start-execution', mode: 'sync2' };
    if (suffix === '.waitForTaskToken') return { kind: 'start-execution', mode: 'token' };
  }
  return undefined;
}

export interface Program {
  definition: StateMachineDefinition;
  /** Blocks of states by key: '#' is the root; see branchKey and mapKey. */
  blocks: Map<string, StatesBlock>;
  queryLanguage: QueryLanguage;
}

export const ROOT_BLOCK = '#';
export const branchKey = (block: string, state: string, index: number): string => `${block}/${state}#${index}`;
export const mapKey = (block: string, state: string): string => `${block}/${state}#map`;

function isJsonataString(value: unknown): boolean {
  return typeof value === 'string' && /^\s*\{%[\s\S]*%\}\s*$/.test(value);
}

/** Fields whose content is a payload template (any JSON): checked by the interpreter, not by the schema. */
const TEMPLATE_FIELDS = ['Output', 'Assign', 'Arguments', 'Result', 'Parameters', 'ResultSelector', 'ItemSelector'] as const;

/**
 * A copy of the definition for asl-validator with payload templates replaced
 * by `{}`: its schema rejects values AWS accepts there (Output: true,
 * Assign lists holding null), and it fills in QueryLanguage on what it gets.
 */
function structureOnly(definition: object): unknown {
  const copy = JSON.parse(JSON.stringify(definition)) as StatesBlock;
  const visit = (block: StatesBlock | undefined): void => {
    if (!block || typeof block.States !== 'object' || block.States === null) return;
    for (const state of Object.values(block.States) as unknown as Record<string, unknown>[]) {
      if (!state || typeof state !== 'object') continue;
      for (const f of TEMPLATE_FIELDS) if (f in state) state[f] = {};
      if (Array.isArray(state.Choices)) {
        for (const rule of state.Choices as Record<string, unknown>[]) {
          for (const f of ['Output', 'Assign'] as const) if (rule && f in rule) rule[f] = {};
        }
      }
      if (Array.isArray(state.Catch)) {
        for (const c of state.Catch as Record<string, unknown>[]) {
          for (const f of ['Output', 'Assign'] as const) if (c && f in c) c[f] = {};
        }
      }
      if (Array.isArray(state.Items)) state.Items = [];
      if (Array.isArray(state.Branches)) for (const b of state.Branches as StatesBlock[]) visit(b);
      visit((state.ItemProcessor ?? state.Iterator) as StatesBlock | undefined);
    }
  };
  visit(copy);
  return copy;
}

/** Programs by definition text; a Program is never mutated, so engines share them. */
const programCache = new Map<string, Program>();
const PROGRAM_CACHE_SIZE = 256;

/** Loads a definition (object or JSON text) or throws DefinitionError listing every problem. */
export function loadProgram(source: string | Json): Program {
  const key = typeof source === 'string' ? source : JSON.stringify(source);
  const hit = programCache.get(key);
  if (hit) return hit;
  const program = compileProgram(source);
  if (programCache.size >= PROGRAM_CACHE_SIZE) programCache.delete(programCache.keys().next().value as string);
  programCache.set(key, program);
  return program;
}

function compileProgram(source: string | Json): Program {
  let definition: unknown = source;
  if (typeof source === 'string') {
    try {
      definition = JSON.parse(source);
    } catch (err) {
      throw new DefinitionError([`The definition is not valid JSON: ${err instanceof Error ? err.message : String(err)}`]);
    }
  }
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new DefinitionError(['The definition must be a JSON object']);
  }
  const result = aslValidator(structureOnly(definition), { checkPaths: true, checkArn: false });
  const problems: string[] = [];
  if (!result.isValid) {
    for (const e of result.errors) problems.push(e.Message ?? e.message ?? e['Error code'] ?? 'invalid');
  }
  const def = definition as StateMachineDefinition;
  const blocks = new Map<string, StatesBlock>();
  const topLanguage: QueryLanguage = def.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
  const visit = (block: StatesBlock | undefined, key: string, where: string): void => {
    if (!block || typeof block !== 'object' || typeof block.States !== 'object' || block.States === null) return;
    blocks.set(key, block);
    for (const [name, state] of Object.entries(block.States)) {
      if (!state || typeof state !== 'object') continue;
      const s: StateDef = state;
      if (s.Type === 'Task') {
        const resource = s.Resource;
        if (typeof resource !== 'string') problems.push(`State '${name}'${where}: a Task needs a Resource`);
        else if (!parseResource(resource)) {
          problems.push(
            `State '${name}'${where} uses the resource '${resource}', which the local runtime does not support (supported: Lambda function ARNs, arn:aws:states:::lambda:invoke[.waitForTaskToken], arn:aws:states:::states:startExecution[.sync|.sync:2|.waitForTaskToken])`,
          );
        }
      }
      if (s.Type === 'Parallel') (s.Branches ?? []).forEach((b, i) => visit(b, branchKey(key, name, i), ` (in branch ${i} of '${name}')`));
      if (s.Type === 'Map') {
        const processor = s.ItemProcessor ?? s.Iterator;
        const mode = processor?.ProcessorConfig?.Mode;
        // A distributed Map runs its item processor inline, as an inline Map does (child executions are not separate locally).
        const reader = s.ItemReader;
        if (reader !== undefined) {
          if (!isObject(reader) || !isGetObjectReader(reader.Resource)) {
            problems.push(
              `State '${name}'${where}: the ItemReader resource ${JSON.stringify(isObject(reader) ? reader.Resource : reader)} is not supported by the local runtime (supported: arn:aws:states:::s3:getObject with InputType JSON, JSONL or CSV)`,
            );
          } else {
            const inputType = isObject(reader.ReaderConfig) ? reader.ReaderConfig.InputType : undefined;
            if (!ITEM_READER_INPUT_TYPES.includes(inputType as ItemReaderInputType)) {
              problems.push(`State '${name}'${where}: the ItemReader InputType ${JSON.stringify(inputType)} is not supported by the local runtime (JSON, JSONL or CSV)`);
            }
          }
          if (mode !== 'DISTRIBUTED') problems.push(`State '${name}'${where}: an ItemReader needs ProcessorConfig Mode DISTRIBUTED`);
          if (s.Items !== undefined || s.ItemsPath !== undefined) problems.push(`State '${name}'${where}: Items or ItemsPath beside an ItemReader is not supported by the local runtime`);
        }
        if (s.ItemBatcher !== undefined && mode !== 'DISTRIBUTED') problems.push(`State '${name}'${where}: an ItemBatcher needs ProcessorConfig Mode DISTRIBUTED`);
        if (s.ResultWriter !== undefined) problems.push(`State '${name}'${where}: ResultWriter is not supported by the local runtime (the Map's output is the array of its iterations' outputs)`);
        visit(processor, mapKey(key, name), ` (in the processor of '${name}')`);
      }
      const lang = s.QueryLanguage ?? topLanguage;
      if (topLanguage === 'JSONata' && s.QueryLanguage === 'JSONPath') {
        problems.push(`State '${name}'${where}: a JSONata state machine cannot contain JSONPath states`);
      }
      if (lang === 'JSONPath') {
        for (const field of ['Arguments', 'Output'] as const) {
          if (s[field] !== undefined) problems.push(`State '${name}'${where}: the field '${field}' is only supported in JSONata states`);
        }
      } else {
        for (const field of ['InputPath', 'OutputPath', 'ResultPath', 'Parameters', 'ResultSelector', 'ItemsPath'] as const) {
          if (s[field] !== undefined) problems.push(`State '${name}'${where}: the field '${field}' is not supported in JSONata states`);
        }
        if (s.Type === 'Map' && isJsonataString(s.Items) === false && s.Items !== undefined && !Array.isArray(s.Items)) {
          problems.push(`State '${name}'${where}: Items must be an array or a JSONata expression`);
        }
      }
    }
  };
  visit(def, ROOT_BLOCK, '');
  if (problems.length > 0) throw new DefinitionError([...new Set(problems)]);
  return { definition: def, blocks, queryLanguage: topLanguage };
}
