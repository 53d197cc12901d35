import { join } from 'node:path';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  type HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Validations } from 'aws-cdk-lib';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { NOT_FOUND_HANDLER, ROUTES, type RouteDefinition, type RouteHandlerName } from '../../functions/api/routes.ts';
import { AccordFunction } from './accord-function.ts';
import type { StorageConstruct, TableAccess } from './storage.ts';

/** How much of the table a route's function may touch. */
export type RouteTableAccess = TableAccess | 'none';

/**
 * Routes that need less than their method suggests. By default a GET route
 * reads the table and any other method reads and writes it.
 */
const TABLE_ACCESS_OVERRIDES: Partial<Record<RouteHandlerName, RouteTableAccess>> = {
  // The OpenAPI document is generated from the route registry; no data.
  'get-openapi': 'none',
};

export function tableAccessOfRoute(route: Pick<RouteDefinition, 'handler' | 'method' | 'servesConsole'>): RouteTableAccess {
  if (route.servesConsole) return 'none';
  return TABLE_ACCESS_OVERRIDES[route.handler as RouteHandlerName] ?? (route.method === 'GET' ? 'read' : 'readWrite');
}

/** Builds the web console's files into `console/` of a function's asset, beside its bundle (functions/lib/console-files.ts reads them there). */
function buildConsoleInto(inputDir: string, outputDir: string): string[] {
  const quote = (path: string) => `'${path.replace(/'/g, "'\\''")}'`;
  return [`${quote(join(inputDir, 'node_modules', '.bin', 'tsx'))} ${quote(join(inputDir, 'console', 'build.ts'))} --out ${quote(join(outputDir, 'console'))}`];
}

export interface ApiConstructProps {
  readonly storage: StorageConstruct;
  /** Stage-wide throttling. @default 50 requests/s steady, bursts of 100 */
  readonly throttle?: ThrottleSettings;
  /** @default three months */
  readonly accessLogRetention?: RetentionDays;
}

/** One line of JSON per request, with the fields that explain a failure. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    error: '$context.error.message',
  }),
);

/**
 * Accord's HTTP API: one function and one route per entry of `ROUTES`
 * (`functions/api/<handler>.ts`), and a `$default` route answering 404/405 in
 * the error envelope. Callers authenticate with API keys that the handlers
 * check against hashes in the table, so no API Gateway authorizer is used.
 */
export class ApiConstruct extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  /** The function of each route, by handler name. */
  readonly functions: ReadonlyMap<string, AccordFunction>;
  readonly notFoundFunction: AccordFunction;

  constructor(scope: Construct, id: string, props: ApiConstructProps) {
    super(scope, id);
    const { storage } = props;

    this.notFoundFunction = new AccordFunction(this, pascal(NOT_FOUND_HANDLER), {
      entry: `functions/api/${NOT_FOUND_HANDLER}.ts`,
      description: 'Accord API: $default route, answers 404/405',
      memorySize: 256,
    });

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Accord: governed account-mapping agreements',
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('NotFoundIntegration', this.notFoundFunction),
    });
    // Keys are checked inside the handlers (hashed API keys in the table), and
    // public routes (health, OpenAPI, sign-up) must stay reachable without one.
    Validations.of(this.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Authentication is done inside each handler with hashed API keys stored in the table (role checked per route); health, OpenAPI and sign-up are public by design. No API Gateway authorizer is used.',
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const functions = new Map<string, AccordFunction>();
    for (const route of ROUTES as readonly RouteDefinition[]) {
      const fn = new AccordFunction(this, pascal(route.handler), {
        entry: `functions/api/${route.handler}.ts`,
        description: `Accord API: ${route.method} ${route.path}`,
        ...(route.servesConsole ? { afterBundling: buildConsoleInto } : {}),
      });
      const access = tableAccessOfRoute(route);
      if (access !== 'none') fn.bindTable(storage, access);
      if (route.signsUploads) fn.bindBucket(storage, 'uploads', 'upload', 'contributions/');
      if (route.readsResults) fn.bindBucket(storage, 'results', 'read', 'results/');
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, fn),
      });
      functions.set(route.handler, fn);
    }
    this.functions = functions;
  }

  /** The base URL of the API (the `$default` stage, so no stage path). */
  get url(): string {
    return this.stage.url;
  }
}

function pascal(kebab: string): string {
  return kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
