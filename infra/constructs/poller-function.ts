/**
 * The poller Lambda function with the house defaults: Node.js 24 on arm64, the ESM handler bundle
 * (infra/handler-code.ts: one esbuild configuration, class names kept, the AWS SDK inside, no
 * Docker), an explicit log group with retention, its own role (no managed policies: logs only on
 * its own log group), and an async-invoke config that never lets a failing mailbox stack up
 * invocations. Source maps are off unless asked for: Node parses the whole map at start-up when
 * --enable-source-maps is set (docs/deploy.md has the measured cost).
 */
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HANDLER, handlerCode } from '../handler-code.js';
import { acknowledgeWildcardResources } from '../nag.js';

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
  /** Prebuilt code (tests, or a bundle built elsewhere). @default the handler bundle (handler-code.ts) */
  readonly code?: lambda.Code;
  /** With `code`: the handler as "file.export". @default 'index.handler' */
  readonly handler?: string;
  /**
   * Files added at the root of the bundle (name -> content), i.e. under /var/task at run time.
   * Not with `code`: a prebuilt bundle cannot be changed. @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /** Ship the source map and run with --enable-source-maps (readable stack traces, slower cold start). @default false */
  readonly sourceMaps?: boolean;
}

/** The poller Lambda function with log group, role and async-invoke settings preset. */
export class PollerFunction extends Construct {
  /** The function. */
  readonly function: lambda.Function;
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

    if (props.bundledFiles !== undefined && props.code) {
      throw new Error('PollerFunction: bundledFiles cannot be added to prebuilt code; give one or the other');
    }
    const sourceMaps = props.sourceMaps ?? false;
    this.function = new lambda.Function(this, 'Function', {
      description: 'pop3-ingest: polls one POP3 mailbox per scheduled invocation',
      code: props.code ?? handlerCode(this, { ...(props.bundledFiles ? { files: props.bundledFiles } : {}), sourceMap: sourceMaps }),
      handler: props.code ? (props.handler ?? 'index.handler') : HANDLER,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}), ...props.environment },
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: new destinations.SqsDestination(props.deadLetterQueue),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(props.vpc ? { vpc: props.vpc, vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } } : {}),
    });
  }
}

/** The default timeout: 80% of the shortest gap between polls (the next poll must not find this one running), 30 s to 15 min. */
export function timeoutFor(periodSeconds: number): Duration {
  return Duration.seconds(Math.max(30, Math.min(900, Math.floor(periodSeconds * 0.8))));
}
