import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type BucketRole, ENV } from '../definitions.ts';
import type { BucketAccess, StorageConstruct, TableAccess } from './storage.ts';

/** The repository root: entries, the lockfile and tsconfig.json are found from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Lets CommonJS dependencies that call `require` work inside an ESM bundle
 * (esbuild leaves their `require` calls to the runtime).
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

const BUCKET_ENV: Record<BucketRole, string> = {
  uploads: ENV.uploadsBucket,
  results: ENV.resultsBucket,
};

export interface AccordFunctionProps {
  /** The handler module, relative to the repository root (e.g. `functions/api/get-health.ts`). */
  readonly entry: string;
  /** The exported function to call. @default 'handler' */
  readonly handler?: string;
  readonly description?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: RetentionDays;
  /**
   * Variables that name no AWS resource. Resource names come from the
   * `bind...` methods, which pair each variable with its grant.
   */
  readonly environment?: Record<string, string>;
  /** Shell commands run after esbuild bundled the entry, e.g. to add files to the asset (`outputDir`). */
  readonly afterBundling?: (inputDir: string, outputDir: string) => string[];
}

/**
 * A Lambda function with Accord's defaults baked in: Node.js 22 on arm64,
 * active X-Ray tracing, its own log group with a retention, and an ESM bundle
 * with source maps built by the local esbuild (never Docker).
 *
 * Its role starts empty (no AWS managed policy): it may write its own log
 * group and X-Ray traces, and gains access to data only through `bindTable`
 * and `bindBucket`, which set the environment variable naming the resource
 * together with the grant.
 */
export class AccordFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: AccordFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry}`,
    });
    logGroup.grantWrite(role);

    const nodejsProps: NodejsFunctionProps = {
      entry: isAbsolute(props.entry) ? props.entry : join(PROJECT_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'accord',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle the AWS SDK too: the versions pinned in package-lock.json are
        // the ones that run, not whatever the runtime happens to ship.
        externalModules: [],
        forceDockerBundling: false,
        ...(props.afterBundling
          ? { commandHooks: { beforeBundling: () => [], beforeInstall: () => [], afterBundling: props.afterBundling } }
          : {}),
      },
    };
    super(scope, id, nodejsProps);

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Accord pins Node.js 22 on purpose: the embedded stack, the tests and the bundles (target node22) run the same major version, so the Lambda runtime moves only together with them.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so their resource is "*".',
    });
  }

  /** Sets `ACCORD_TABLE_NAME` and grants `access` to the table (and its indexes). */
  bindTable(storage: StorageConstruct, access: TableAccess): this {
    this.addEnvironment(ENV.tableName, storage.table.tableName);
    storage.grantTable(this, access);
    return this;
  }

  /**
   * Sets the bucket's variable (`ACCORD_UPLOADS_BUCKET` / `ACCORD_RESULTS_BUCKET`)
   * and grants `access` to its objects, optionally only under `keyPrefix`.
   */
  bindBucket(storage: StorageConstruct, bucketRole: BucketRole, access: BucketAccess, keyPrefix = ''): this {
    const bucket = storage.buckets[bucketRole];
    this.addEnvironment(BUCKET_ENV[bucketRole], bucket.bucketName);
    storage.grantBucket(this, bucketRole, access, keyPrefix);
    const stack = Stack.of(this);
    const bucketLogicalId = stack.resolve((bucket.node.defaultChild as CfnResource).logicalId) as string;
    if (this.role) {
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${keyPrefix}*]`,
        reason: `Object-level S3 actions apply to the objects of the ${bucketRole} bucket${keyPrefix ? ` under ${keyPrefix}` : ''}; an object ARN ends in a wildcard.`,
      });
    }
    return this;
  }
}
