/**
 * asl-validator 4.0.0 builds a new Ajv instance and compiles its whole JSON
 * schema on every call (about 100 ms). Its schema check is a module export
 * that the validator looks up at each call, so installCompiledSchemaCheck()
 * replaces it with one that compiles the schema once per option set and
 * otherwise does exactly what the original does: same schemas, formats and
 * error selection (the deepest errors, oneOf errors preferred, duplicates
 * dropped). The other checks of asl-validator are unchanged.
 */
import { createRequire } from 'node:module';

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
}
type ValidateFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvInstance {
  addFormat(name: string, format: (value: string) => boolean): void;
  getSchema(id: string): ValidateFn | undefined;
}
type AjvConstructor = new (options: object) => AjvInstance;
interface CheckOptions {
  checkPaths?: boolean;
  checkArn?: boolean;
}
interface SchemaError {
  'Error code': string;
  Message: string;
  schemaError: { instancePath: string; schemaPath: string };
}

const SCHEMA_FILES = ['common', 'paths', 'jsonata', 'choice', 'fail', 'parallel', 'pass', 'base-state-machine', 'state-machine', 'state', 'succeed', 'task', 'wait', 'map', 'errors'];

let installed = false;

export function installCompiledSchemaCheck(): void {
  if (installed) return;
  installed = true;
  const fromValidator = createRequire(createRequire(import.meta.url).resolve('asl-validator'));
  const checks = fromValidator('./checks/json-schema-errors.js') as { jsonSchemaErrors: (definition: unknown, options: CheckOptions) => SchemaError[] };
  const Ajv = (fromValidator('ajv') as { default: AjvConstructor }).default;
  const addFormats = (fromValidator('ajv-formats') as { default: (ajv: AjvInstance) => void }).default;
  const jsonata = fromValidator('jsonata') as (expression: string) => unknown;
  const { registerAll } = fromValidator('asl-path-validator') as { registerAll: (ajv: AjvInstance) => void };
  const { isArnFormatValid } = fromValidator('./checks/formats.js') as { isArnFormatValid: (value: string) => boolean };
  const schemas = SCHEMA_FILES.map((name) => fromValidator(`./schemas/${name}.json`) as object);

  const validateJsonataString = (value: string): boolean => {
    const trimmed = value.trim();
    try {
      let expr = trimmed.startsWith('{%') ? trimmed.slice(2) : trimmed;
      expr = expr.endsWith('%}') ? expr.slice(0, -2) : expr;
      jsonata(expr);
      return true;
    } catch {
      return false;
    }
  };
  const compiled = new Map<string, ValidateFn>();
  const validatorFor = (options: CheckOptions): ValidateFn => {
    const key = `${options.checkPaths === true}|${options.checkArn === true}`;
    const hit = compiled.get(key);
    if (hit) return hit;
    const ajv = new Ajv({ schemas, allowUnionTypes: true });
    addFormats(ajv);
    ajv.addFormat('jsonata_string', validateJsonataString);
    ajv.addFormat('maybe_jsonata_string', (value) => {
      const trimmed = value.trim();
      return trimmed.startsWith('{%') || trimmed.endsWith('%}') ? validateJsonataString(trimmed) : true;
    });
    if (options.checkPaths) registerAll(ajv);
    else for (const f of ['asl_path', 'asl_ref_path', 'asl_payload_template', 'asl_result_path']) ajv.addFormat(f, () => true);
    ajv.addFormat('asl_arn', options.checkArn ? isArnFormatValid : () => true);
    const validate = ajv.getSchema('http://asl-validator.cloud/state-machine.json#');
    if (!validate) throw new Error('asl-validator: the state machine schema is missing');
    compiled.set(key, validate);
    return validate;
  };

  checks.jsonSchemaErrors = (definition: unknown, options: CheckOptions): SchemaError[] => {
    const validate = validatorFor(options);
    validate(definition);
    const errors = validate.errors ?? [];
    if (errors.length === 0) return [];
    let selected: AjvError[] = [];
    let deepest = 0;
    for (const error of errors) {
      const depth = error.instancePath.split('/').length;
      if (depth === deepest) selected.push(error);
      else if (depth > deepest) selected = [error];
      deepest = Math.max(deepest, depth);
    }
    const withOneOf = new Set(selected.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
    const out = selected
      .filter((e) => e.keyword === 'oneOf' || !withOneOf.has(e.instancePath))
      .map((e) => ({
        'Error code': 'SCHEMA_VALIDATION_FAILED',
        Message: `${e.instancePath} is invalid. ${e.message ?? ''}`,
        schemaError: { instancePath: e.instancePath, schemaPath: decodeURIComponent(e.schemaPath) },
      }));
    return out.filter((v, i, a) => a.findIndex((w) => w.schemaError.schemaPath === v.schemaError.schemaPath && w.schemaError.instancePath === v.schemaError.instancePath) === i);
  };
}
