/**
 * The poller Lambda function with the house defaults: Node.js 24 on arm64, an ESM bundle built
 * by the local esbuild (no Docker) with the AWS SDK inside, source maps, an explicit log group
 * with retention, its own role (no managed policies: logs only on its own log group), and an
 * async-invoke config that never lets a failing mailbox stack up invocations.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../nag.js';

/** The handler's entry point in this repository. */
export const DEFAULT_HANDLER_ENTRY = fileURLToPath(new URL('../../lambda/handler/index.ts', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild emits ESM; a few CommonJS dependencies still call `require`, which ESM lacks.
 * The banner gives them one (the usual NodejsFunction ESM recipe).
 */
const ESM_REQUIRE_BANNER = "import { createRequire as __pop3CreateRequire } from 'node:module'; const require = __pop3CreateRequire(import.meta.url);";

/** Properties of PollerFunction. */
export interface PollerFunctionProps {
  /** Hard limit for one invocation; must be shorter than the shortest schedule period. */
  readonly timeout: Duration;
  /** @default 512 (MB; CPU and network share scale with it) */
  readonly memorySize?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Environment for the handler; must never hold a secret value. */
  readonly environment: Record<string, string>;
  /** Async invoke retries (0-2). */
  readonly retryAttempts: number;
  /** Async events older than this are dropped to `deadLetterQueue` instead of run late. */
  readonly maxEventAge: Duration;
  /** Where dropped and failed async invocations go. */
  readonly deadLetterQueue: sqs.IQueue;
  /** Not set by default: reserved concurrency takes capacity from the account pool. */
  readonly reservedConcurrentExecutions?: number;
  /** Place the function in these subnets (e.g. behind a NAT with a fixed IP). */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Prebuilt code (tests, or a bundle built elsewhere); by default the handler is bundled with esbuild. */
  readonly code?: lambda.Code;
  /** With `code`: the handler as "file.export". @default 'index.handler' */
  readonly handler?: string;
  /** @default DEFAULT_HANDLER_ENTRY */
  readonly entry?: string;
  /**
   * Files added at the root of the bundle (name -> content), i.e. under /var/task at run time.
   * Not with `code`: a prebuilt bundle cannot be changed. @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
}

/** A bundled file name: one plain path segment (it goes into a shell command and under /var/task). */
const BUNDLED_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The poller Lambda function with log group, role and async-invoke settings preset. */
export class PollerFunction extends Construct {
  /** The function. */
  readonly function: NodejsFunction;
  /** Its execution role (grant to this). */
  readonly role: iam.Role;
  /** Its log group (retention set). */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PollerFunctionProps) {
    super(scope, id);
    if (props.retryAttempts < 0 || props.retryAttempts > 2 || !Number.isInteger(props.retryAttempts)) {
      throw new Error(`PollerFunction: retryAttempts must be 0, 1 or 2 (got ${props.retryAttempts})`);
    }

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole, whose logs:* on "*" is broader than
    // one log group needs (and is what cdk-nag IAM4 flags).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'pop3-ingest poller: least privilege, granted per resource by Pop3Poller',
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        // A log group's Arn attribute already ends in ":*", which covers its log streams.
        resources: [this.logGroup.logGroupArn],
      }),
    );
    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants: Lambda creates the function's ENIs with the
      // execution role. EC2 offers no resource-level scoping for the Describe/Assign calls.
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ManageVpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
      acknowledgeWildcardResources(
        this.role,
        ['*'],
        'Lambda VPC networking: the EC2 network-interface actions Lambda performs with this role do not support resource-level permissions (same scope as the AWSLambdaVPCAccessExecutionRole managed policy).',
      );
    }

    const bundledFiles = Object.entries(props.bundledFiles ?? {});
    if (bundledFiles.length > 0 && props.code) {
      throw new Error('PollerFunction: bundledFiles cannot be added to prebuilt code; give one or the other');
    }
    const copies = bundledFiles.map(([name, content]) => ({ name, source: stageBundledFile(this, name, content) }));

    const runtime = lambda.Runtime.NODEJS_24_X;
    this.function = new NodejsFunction(this, 'Function', {
      description: 'pop3-ingest: polls one POP3 mailbox per scheduled invocation',
      entry: props.entry ?? DEFAULT_HANDLER_ENTRY,
      // NodejsFunction wants the export name for an entry it bundles, "file.export" for given code.
      handler: props.code ? (props.handler ?? 'index.handler') : 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../../package-lock.json', import.meta.url)),
      ...(props.code ? { code: props.code } : {}),
      runtime,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Stack traces point into the TypeScript sources (the bundle ships its source map).
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: new destinations.SqsDestination(props.deadLetterQueue),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } : {}),
      bundling: {
        // Local esbuild only: synth must work offline with no Docker.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Pin the SDK version we tested instead of whatever the runtime ships.
        bundleAwsSDK: true,
        externalModules: [],
        minify: true,
        sourceMap: true,
        // Line mapping is what stack traces need; embedding the sources would triple the upload.
        sourcesContent: false,
        target: 'node24',
        // Entry point is TypeScript with NodeNext `.js` specifiers; esbuild resolves them.
        tsconfig: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)),
        ...(copies.length === 0
          ? {}
          : {
              // Runs after esbuild, in the output folder that becomes the asset: the copied files
              // are part of the output hash, so a change to them redeploys the function. The source
              // is a host path: this assumes local bundling (esbuild is a devDependency); a Docker
              // fallback would fail loudly at the copy, never ship a bundle without the files.
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_inputDir: string, outputDir: string) => copies.map((c) => copyCommand(c.source, join(outputDir, c.name))),
              },
            }),
      },
    });
  }
}

/**
 * Writes a bundled file's content where the afterBundling hook can copy it from: the cloud
 * assembly folder (cdk.out), named by content hash, so each synth of the same content reuses it
 * and a different content gives a different bundling command (never a stale bundling cache).
 */
function stageBundledFile(scope: Construct, name: string, content: string): string {
  if (!BUNDLED_FILE_NAME.test(name)) {
    throw new Error(`PollerFunction: bundled file name ${JSON.stringify(name)} must be one plain file name ([A-Za-z0-9._-])`);
  }
  const hash = createHash('sha256').update(name).update('\0').update(content).digest('hex').slice(0, 20);
  const dir = join(Stage.of(scope)?.assetOutdir ?? tmpdir(), 'pop3-ingest-bundled-files', hash);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A copy that needs no tools beyond the shell NodejsFunction runs hooks in (bash -c; cmd /c on Windows). */
function copyCommand(source: string, target: string): string {
  if (platform() === 'win32') return `copy /Y "${source}" "${target}"`;
  // Single quotes: nothing inside is expanded; an embedded ' is closed, escaped and reopened.
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  return `cp ${quote(source)} ${quote(target)}`;
}

/** The default timeout: 80% of the period (the next poll must not find this one running), 30 s to 15 min. */
export function timeoutFor(period: Duration | undefined): Duration {
  if (period === undefined) return Duration.minutes(5);
  const seconds = Math.min(900, Math.floor(period.toSeconds() * 0.8));
  return Duration.seconds(Math.max(seconds, 30));
}
