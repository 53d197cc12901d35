/**
 * Local Lambda functions: a function name is bound to a handler module, which
 * is called in-process the way the Node.js runtime calls it. What comes back
 * is what the Lambda Invoke API returns to Step Functions: the payload bytes
 * and, for a function error, X-Amz-Function-Error.
 */
import { pathToFileURL } from 'node:url';
import type { Json } from './json.ts';

export interface LambdaInvokeResponse {
  /** The raw response payload (JSON text). */
  payload: string;
  /** Set when the function failed ("Unhandled"); the payload then describes the error. */
  functionError?: string;
  requestId: string;
}

export interface LambdaContext {
  functionName: string;
  awsRequestId: string;
  invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: Json, context: LambdaContext) => unknown;

/**
 * A module that plays a Lambda function. `handler` is the usual export. A
 * module may instead export `invoke`, returning the raw Invoke API response;
 * that is how a function of another runtime (the Python functions recorded in
 * the conformance cases) is played byte for byte.
 */
export interface LambdaModule {
  handler?: LambdaHandler;
  invoke?: (event: Json, context: LambdaContext) => Promise<{ payload: string; functionError?: string }> | { payload: string; functionError?: string };
}

export class LambdaNotFoundError extends Error {
  constructor(readonly functionName: string) {
    super(`Function not found: ${functionName}`);
    this.name = 'LambdaNotFoundError';
  }
}

export interface LambdaInvoker {
  invoke(functionName: string, payload: Json, requestId: string): Promise<LambdaInvokeResponse>;
}

/** The function name inside a name, a partial or a full ARN, with any version or alias dropped. */
export function functionNameOf(nameOrArn: string): string {
  const full = /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([^:]+)(:.+)?$/.exec(nameOrArn);
  if (full?.[1]) return full[1];
  const partial = /^\d{12}:function:([^:]+)(:.+)?$/.exec(nameOrArn);
  if (partial?.[1]) return partial[1];
  return nameOrArn.split(':')[0] ?? nameOrArn;
}

/** How the Node.js runtime reports a thrown error. */
export function nodeErrorPayload(err: unknown): string {
  if (err instanceof Error) {
    return JSON.stringify({
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    });
  }
  return JSON.stringify({ errorType: 'string', errorMessage: String(err), trace: [] });
}

/** Function name -> module path or module; undefined when no such function exists. */
export type LambdaResolver = (functionName: string) => string | LambdaModule | undefined;

export class ModuleLambdaInvoker implements LambdaInvoker {
  private readonly loaded = new Map<string, Promise<LambdaModule>>();

  /**
   * `bindings`: function name -> module path (or an already loaded module), as
   * a record or as a function that answers undefined for an unknown name.
   */
  constructor(
    private readonly bindings: Record<string, string | LambdaModule> | LambdaResolver,
    private readonly options: { region?: string; account?: string } = {},
  ) {}

  private binding(name: string): string | LambdaModule | undefined {
    if (typeof this.bindings === 'function') return this.bindings(name);
    return Object.hasOwn(this.bindings, name) ? this.bindings[name] : undefined;
  }

  has(functionName: string): boolean {
    return this.binding(functionNameOf(functionName)) !== undefined;
  }

  private module(name: string): Promise<LambdaModule> {
    let hit = this.loaded.get(name);
    if (!hit) {
      const binding = this.binding(name);
      if (binding === undefined) return Promise.reject(new LambdaNotFoundError(name));
      hit = typeof binding === 'string' ? (import(pathToFileURL(binding).href) as Promise<LambdaModule>) : Promise.resolve(binding);
      this.loaded.set(name, hit);
    }
    return hit;
  }

  async invoke(functionNameOrArn: string, payload: Json, requestId: string): Promise<LambdaInvokeResponse> {
    const name = functionNameOf(functionNameOrArn);
    const mod = await this.module(name);
    const context: LambdaContext = {
      functionName: name,
      awsRequestId: requestId,
      invokedFunctionArn: `arn:aws:lambda:${this.options.region ?? 'us-east-1'}:${this.options.account ?? '000000000000'}:function:${name}`,
      getRemainingTimeInMillis: () => 900_000,
    };
    if (typeof mod.invoke === 'function') {
      const raw = await mod.invoke(payload, context);
      return { ...raw, requestId };
    }
    if (typeof mod.handler !== 'function') throw new Error(`The module bound to the function '${name}' exports no handler`);
    try {
      const result = await mod.handler(payload, context);
      return { payload: result === undefined ? 'null' : JSON.stringify(result), requestId };
    } catch (err) {
      return { payload: nodeErrorPayload(err), functionError: 'Unhandled', requestId };
    }
  }
}
