/**
 * Pop3Poller: the whole of pop3-ingest as one reusable construct. Give it a configuration (the
 * same JSON the CLI reads, validated here at synth time) and it deploys the bucket, the event
 * bus, the poller function, one EventBridge Scheduler schedule per mailbox, the dead-letter
 * queue, least-privilege grants, alarms and a dashboard.
 *
 * Retries are bounded on both hops (Scheduler -> Lambda, and Lambda's own async retries) and
 * events older than about half a period are dropped to the dead-letter queue, so a failing
 * mailbox never stacks up invocations; the per-mailbox lease in S3 is the second line of defence.
 */
import { ArnFormat, CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeRule, acknowledgeWildcardResources } from '../nag.js';
import { objectLayout, schedulePeriod, secretReferences, shortestPeriod, validateDeployConfig, type DeployConfig } from '../deploy-config.js';
import { EgressNetwork } from './egress-network.js';
import { MailBucket, type MailBucketProps } from './mail-bucket.js';
import { PollerFunction, timeoutFor } from './poller-function.js';
import { PollerMonitoring, POLLER_METRICS } from './poller-monitoring.js';

/** Lambda's limit for all environment variables of a function together (bytes). */
const LAMBDA_ENV_LIMIT = 4096;

/** The configuration file the stack writes into the function bundle. */
export const BUNDLED_CONFIG_NAME = 'pop3-ingest.config.json';
/** Where the function finds it: Lambda unpacks the bundle into /var/task (LAMBDA_TASK_ROOT). */
export const BUNDLED_CONFIG_PATH = `/var/task/${BUNDLED_CONFIG_NAME}`;

/** Retry settings for the two hops a scheduled poll takes. */
export interface Pop3PollerRetryProps {
  /** Scheduler -> Lambda delivery retries (0-185; kept small). @default 2 */
  readonly scheduleRetryAttempts?: number;
  /** Lambda async invoke retries after the handler throws (0-2). @default 1 */
  readonly invokeRetryAttempts?: number;
  /** Drop (to the DLQ) rather than run a poll this late. @default half the shortest period, 60 s to 6 h */
  readonly maxEventAge?: Duration;
}

/** Properties of Pop3Poller. */
export interface Pop3PollerProps {
  /**
   * The configuration as written (the JSON the CLI reads): validated here with the runtime's
   * own parseConfig. Secrets must be Secrets Manager references.
   */
  readonly config: unknown;
  /** Names the config in error messages (e.g. its file path). */
  readonly configSource?: string;
  /** Use this bucket. @default config.storage.bucket if set (imported by name), else a new MailBucket */
  readonly bucket?: s3.IBucket;
  /** Settings for the bucket created when none is given. */
  readonly bucketProps?: MailBucketProps;
  /**
   * Customer managed KMS keys the referenced secrets are encrypted with (needed for secrets in
   * another account). Decrypt is granted only via Secrets Manager. @default none (aws/secretsmanager)
   */
  readonly secretsEncryptionKeys?: kms.IKey[];
  /** Use this bus. @default config.events.busName if set (imported), else a new custom bus */
  readonly eventBus?: events.IEventBus;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default 80% of the shortest schedule period (at most 15 min); must be shorter than it */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Reserved concurrency. @default none: an option, not a default */
  readonly reservedConcurrentExecutions?: number;
  readonly retry?: Pop3PollerRetryProps;
  /** Run the function in this VPC (private subnets with egress). */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Create a VPC whose NAT gateway has a fixed Elastic IP (for providers that allowlist IPs). @default false */
  readonly fixedEgressIp?: boolean;
  /** Alarm notifications. @default none */
  readonly alarmTopic?: sns.ITopic;
  /** Periods without a successful poll before a mailbox is "stalled". @default 3 */
  readonly stallPeriods?: number;
  /** @default true */
  readonly dashboard?: boolean;
  /** POWERTOOLS_SERVICE_NAME, also the metrics' `service` dimension. @default 'pop3-ingest' */
  readonly serviceName?: string;
  /**
   * Prebuilt function code (tests, or a bundle built elsewhere). The configuration cannot be added
   * to it, so it travels inline in POP3_INGEST_CONFIG and must fit Lambda's 4 KB environment
   * (about 18 mailboxes like docs/deploy.md's example). @default esbuild bundle of lambda/handler, with the configuration
   * inside as pop3-ingest.config.json (no size limit)
   */
  readonly code?: lambda.Code;
  /** @default true */
  readonly schedulesEnabled?: boolean;
}

/** pop3-ingest: scheduled POP3 polling into S3 and EventBridge, with alarms. */
export class Pop3Poller extends Construct {
  /** Where raw messages, seen-state and leases live. */
  readonly bucket: s3.IBucket;
  /** Where one event per message (and a summary per poll) is published. */
  readonly eventBus: events.IEventBus;
  /** The poller function. */
  readonly function: lambda.IFunction;
  /** Dropped or failed scheduled polls. */
  readonly deadLetterQueue: sqs.Queue;
  /** One schedule per mailbox id. */
  readonly schedules: ReadonlyMap<string, scheduler.Schedule>;
  /** Alarms and dashboard. */
  readonly monitoring: PollerMonitoring;
  /** The validated configuration. */
  readonly deployConfig: DeployConfig;
  /** The fixed egress network, when fixedEgressIp is set. */
  readonly egress?: EgressNetwork;
  /**
   * The JSON written into the bundle as BUNDLED_CONFIG_NAME (bucket and bus come from the
   * environment); undefined with prebuilt `code`, which gets the config inline instead.
   */
  readonly bundledConfig?: string;

  constructor(scope: Construct, id: string, props: Pop3PollerProps) {
    super(scope, id);
    const deployConfig = validateDeployConfig(props.config, props.configSource);
    this.deployConfig = deployConfig;
    const { config } = deployConfig;
    const serviceName = props.serviceName ?? 'pop3-ingest';

    const shortest = shortestPeriod(config);
    const timeout = props.timeout ?? timeoutFor(shortest);
    if (shortest && timeout.toSeconds() >= shortest.toSeconds()) {
      throw new Error(`Pop3Poller: timeout ${timeout.toHumanString()} must be shorter than the shortest schedule period (${shortest.toHumanString()}), or polls would overlap`);
    }
    const retry = resolveRetry(props.retry, shortest);

    // ---- storage and events -------------------------------------------------------------
    let bucketKey: kms.IKey | undefined;
    if (props.bucket) {
      this.bucket = props.bucket;
      bucketKey = props.bucket.encryptionKey;
    } else if (config.storage.bucket !== undefined) {
      this.bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', config.storage.bucket);
    } else {
      const created = new MailBucket(this, 'Storage', props.bucketProps);
      this.bucket = created.bucket;
      bucketKey = created.encryptionKey;
    }
    let busRef: string;
    if (props.eventBus) {
      this.eventBus = props.eventBus;
      busRef = props.eventBus.eventBusName;
    } else if (config.events.busName !== undefined) {
      const name = config.events.busName;
      this.eventBus = name.startsWith('arn:')
        ? events.EventBus.fromEventBusArn(this, 'ExistingBus', name)
        : events.EventBus.fromEventBusName(this, 'ExistingBus', name);
      busRef = name; // an ARN stays an ARN: it is what a cross-account PutEvents needs
    } else {
      this.eventBus = new events.EventBus(this, 'Bus', { description: 'pop3-ingest: one event per stored message' });
      busRef = this.eventBus.eventBusName;
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeRule(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the schedules and of the function\'s async invocations.',
    );

    // ---- network ----------------------------------------------------------------------------
    let vpc = props.vpc;
    let vpcSubnets = props.vpcSubnets;
    if (props.fixedEgressIp) {
      if (props.vpc) throw new Error('Pop3Poller: give either vpc or fixedEgressIp, not both');
      this.egress = new EgressNetwork(this, 'Egress');
      vpc = this.egress.vpc;
      vpcSubnets = this.egress.subnets;
    }

    // ---- function ---------------------------------------------------------------------------
    // The config ships inside the bundle: Lambda's 4 KB environment held only ~18 mailboxes.
    // The bucket and bus are deploy-time values (tokens), so they cannot be written into the
    // file at synth time: they travel as two short variables the handler lays over the file.
    // Prebuilt code cannot take the file, so it keeps the whole config inline (4 KB limit).
    const powertools = {
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: POLLER_METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    let environment: Record<string, string>;
    if (props.code) {
      environment = { POP3_INGEST_CONFIG: lambdaConfigJson(this, deployConfig, this.bucket.bucketName, busRef), ...powertools };
    } else {
      this.bundledConfig = bundledConfigJson(this, deployConfig);
      environment = {
        POP3_INGEST_CONFIG_FILE: BUNDLED_CONFIG_PATH,
        POP3_INGEST_BUCKET: this.bucket.bucketName,
        POP3_INGEST_EVENT_BUS: busRef,
        ...powertools,
      };
    }
    checkEnvironmentSize(deployConfig, environment, props.code !== undefined);
    const poller = new PollerFunction(this, 'Poller', {
      timeout,
      environment,
      retryAttempts: retry.invokeRetryAttempts,
      maxEventAge: retry.maxEventAge,
      deadLetterQueue: this.deadLetterQueue,
      ...(props.memorySize === undefined ? {} : { memorySize: props.memorySize }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(vpc ? { vpc, ...(vpcSubnets ? { vpcSubnets } : {}) } : {}),
      ...(props.code ? { code: props.code } : {}),
      ...(this.bundledConfig === undefined ? {} : { bundledFiles: { [BUNDLED_CONFIG_NAME]: this.bundledConfig } }),
    });
    this.function = poller.function;
    this.grantRuntimeAccess(poller.role, deployConfig, bucketKey, props.secretsEncryptionKeys ?? []);

    // ---- schedules --------------------------------------------------------------------------
    // One role for all schedules, assumed only by Scheduler on behalf of this account.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'pop3-ingest: lets EventBridge Scheduler invoke the poller and dead-letter dropped polls',
    });
    acknowledgeWildcardResources(
      schedulerRole,
      [`${poller.function.functionArn}:*`],
      'Granted by LambdaInvoke (Function.grantInvoke): versions and aliases of this one function, nothing else.',
    );
    const schedules = new Map<string, scheduler.Schedule>();
    for (const mailbox of config.mailboxes) {
      const period = schedulePeriod(mailbox.schedule);
      schedules.set(
        mailbox.id,
        new scheduler.Schedule(this, `Schedule-${mailbox.id}`, {
          description: `pop3-ingest: poll mailbox ${mailbox.id}`,
          schedule: scheduler.ScheduleExpression.expression(mailbox.schedule),
          enabled: props.schedulesEnabled ?? true,
          target: new targets.LambdaInvoke(poller.function, {
            input: scheduler.ScheduleTargetInput.fromObject({ mailboxId: mailbox.id }),
            retryAttempts: retry.scheduleRetryAttempts,
            maxEventAge: period ? maxEventAgeFor(period) : retry.maxEventAge,
            deadLetterQueue: this.deadLetterQueue,
            role: schedulerRole,
          }),
        }),
      );
    }
    this.schedules = schedules;

    // ---- monitoring -------------------------------------------------------------------------
    this.monitoring = new PollerMonitoring(this, 'Monitoring', {
      function: poller.function,
      deadLetterQueue: this.deadLetterQueue,
      mailboxes: config.mailboxes.map((m) => {
        const period = schedulePeriod(m.schedule);
        return period ? { id: m.id, period } : { id: m.id };
      }),
      serviceName,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.stallPeriods === undefined ? {} : { stallPeriods: props.stallPeriods }),
      ...(props.dashboard === undefined ? {} : { dashboard: props.dashboard }),
    });

    new CfnOutput(this, 'BucketName', { value: this.bucket.bucketName, description: 'Raw messages, seen-state and leases' });
    new CfnOutput(this, 'EventBusName', { value: busRef, description: 'One event per stored message' });
    new CfnOutput(this, 'FunctionName', { value: poller.function.functionName, description: 'The poller (invoke with {"mailboxId": "<id>"})' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.deadLetterQueue.queueUrl, description: 'Dropped or failed scheduled polls' });
  }

  /** S3 under the configured prefixes only, PutEvents on the bus, and the referenced secrets. */
  private grantRuntimeAccess(role: iam.Role, deployConfig: DeployConfig, bucketKey: kms.IKey | undefined, secretKeys: readonly kms.IKey[]): void {
    const { config } = deployConfig;
    const layout = objectLayout(config);
    const objects = (prefix: string) => this.bucket.arnForObjects(`${prefix}*`);
    const exactly = (key: string) => this.bucket.arnForObjects(key);

    // Messages are create-only (If-None-Match: *): no delete, no overwrite needed. After a 412
    // the store reads the existing object's metadata (HeadObject, which needs s3:GetObject) to
    // tell the same message from a re-used UID's new one. Multipart uploads (large messages) are
    // covered by PutObject; abort cleans up a failed one.
    const messageArns = layout.messagePrefixes.map(objects);
    role.addToPolicy(new iam.PolicyStatement({ sid: 'StoreMessages', actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], resources: messageArns }));
    acknowledgeWildcardResources(
      role,
      messageArns,
      'Message keys are derived per message (a hash of its UID); each wildcard is confined to one mailbox\'s own prefix: create, and read back the metadata after a 412.',
    );
    // Seen-state and leases are one document per mailbox: granted by exact key, no wildcard.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadWriteSeenState', actions: ['s3:GetObject', 's3:PutObject'], resources: layout.stateKeys.map(exactly) }));
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'HoldLeases', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: layout.leaseKeys.map(exactly) }),
    );
    // Without ListBucket, S3 answers GetObject on a missing key with 403, not 404, and the first
    // poll of a new mailbox (no state yet) would fail as "access denied". ListBucket reveals key
    // names, never content.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'TellMissingFromForbidden', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));

    if (bucketKey) {
      // SSE-KMS: writing needs a data key; multipart completion and reads need Decrypt.
      bucketKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    }

    this.eventBus.grantPutEventsTo(role);

    const stack = Stack.of(this);
    const refs = secretReferences(config);
    const readArns = refs.map((r) => secretArnForPolicy(stack, r.ref));
    const writeArns = refs.filter((r) => r.writeBack).map((r) => secretArnForPolicy(stack, r.ref));
    if (readArns.length > 0) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadMailboxSecrets', actions: ['secretsmanager:GetSecretValue'], resources: readArns }));
    }
    if (writeArns.length > 0) {
      // OAuth2 providers may rotate the refresh token on use; the new one is written back.
      role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteBackRotatedTokens', actions: ['secretsmanager:PutSecretValue'], resources: writeArns }));
    }
    if (secretKeys.length > 0) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptSecretsViaSecretsManager',
          // GenerateDataKey: PutSecretValue encrypts the rotated refresh token with the same key.
          actions: ['kms:Decrypt', ...(writeArns.length > 0 ? ['kms:GenerateDataKey'] : [])],
          resources: secretKeys.map((k) => k.keyArn),
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` } },
        }),
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------

interface ResolvedRetry {
  scheduleRetryAttempts: number;
  invokeRetryAttempts: number;
  maxEventAge: Duration;
}

function resolveRetry(retry: Pop3PollerRetryProps | undefined, shortest: Duration | undefined): ResolvedRetry {
  const scheduleRetryAttempts = retry?.scheduleRetryAttempts ?? 2;
  const invokeRetryAttempts = retry?.invokeRetryAttempts ?? 1;
  if (!Number.isInteger(scheduleRetryAttempts) || scheduleRetryAttempts < 0 || scheduleRetryAttempts > 185) {
    throw new Error(`Pop3Poller: retry.scheduleRetryAttempts must be 0-185 (got ${scheduleRetryAttempts}); keep it small`);
  }
  if (!Number.isInteger(invokeRetryAttempts) || invokeRetryAttempts < 0 || invokeRetryAttempts > 2) {
    throw new Error(`Pop3Poller: retry.invokeRetryAttempts must be 0, 1 or 2 (got ${invokeRetryAttempts})`);
  }
  const maxEventAge = retry?.maxEventAge ?? (shortest ? maxEventAgeFor(shortest) : Duration.minutes(5));
  const seconds = maxEventAge.toSeconds();
  if (seconds < 60 || seconds > 6 * 3600) {
    throw new Error(`Pop3Poller: retry.maxEventAge must be between 1 minute and 6 hours (got ${maxEventAge.toHumanString()})`);
  }
  return { scheduleRetryAttempts, invokeRetryAttempts, maxEventAge };
}

/** Half a period: a poll that late is better skipped (the next one is due soon). Lambda and Scheduler accept 60 s to 6 h. */
function maxEventAgeFor(period: Duration): Duration {
  return Duration.seconds(Math.min(6 * 3600, Math.max(60, Math.floor(period.toSeconds() / 2))));
}

/**
 * The configuration the function parses at cold start: the file as written, with the bucket and
 * bus this stack resolved. It carries secret references only, never secret values.
 */
function lambdaConfigJson(scope: Construct, deployConfig: DeployConfig, bucketName: string, busRef: string): string {
  const raw = deployConfig.raw;
  const storage = typeof raw.storage === 'object' && raw.storage !== null ? raw.storage : {};
  const eventsSection = typeof raw.events === 'object' && raw.events !== null ? raw.events : {};
  const { $schema: _schema, ...rest } = raw;
  return Stack.of(scope).toJsonString({ ...rest, storage: { ...storage, bucket: bucketName }, events: { ...eventsSection, busName: busRef } });
}

/**
 * The configuration written into the bundle: the file as written, without the bucket and bus
 * (POP3_INGEST_BUCKET / POP3_INGEST_EVENT_BUS carry the resolved ones). It must be plain JSON:
 * the file is written at synth time, when a CDK token would still be a placeholder.
 */
function bundledConfigJson(scope: Construct, deployConfig: DeployConfig): string {
  const { $schema: _schema, storage, events: eventsSection, ...rest } = deployConfig.raw;
  const { bucket: _bucket, ...storageRest } = isRecord(storage) ? storage : {};
  const { busName: _busName, ...eventsRest } = isRecord(eventsSection) ? eventsSection : {};
  const file = { ...rest, storage: storageRest, events: eventsRest };
  if (JSON.stringify(Stack.of(scope).resolve(file)) !== JSON.stringify(file)) {
    throw new Error(`Pop3Poller: the configuration in ${deployConfig.source} holds a CDK token; it is written into the function bundle at synth time, so it must be plain JSON`);
  }
  return `${JSON.stringify(file, null, 2)}\n`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Largest deploy-time values (bytes): a bucket name, an event bus ARN (name up to 256). */
const TOKEN_WORST_CASE: Readonly<Record<string, number>> = { POP3_INGEST_BUCKET: 63, POP3_INGEST_EVENT_BUS: 320 };

/** Fails synth (instead of the deployment) when the environment will not fit Lambda's 4 KB. */
function checkEnvironmentSize(deployConfig: DeployConfig, environment: Record<string, string>, prebuiltCode: boolean): void {
  // Tokens resolve at deploy time; count them at their largest. The inline config holds both a
  // bucket and a bus reference (plus JSON quoting slack).
  let size = 0;
  for (const [key, value] of Object.entries(environment)) {
    const worst = TOKEN_WORST_CASE[key] ?? JSON.stringify(deployConfig.raw).length + 63 + 320 + 64;
    size += key.length + (Token.isUnresolved(value) ? worst : value.length);
  }
  if (size > LAMBDA_ENV_LIMIT) {
    const fix = prebuiltCode
      ? 'With prebuilt `code` the configuration travels inline in POP3_INGEST_CONFIG: leave `code` unset so the stack bundles the handler with the configuration inside, split the mailboxes over several Pop3Poller constructs, or shorten the config (inline tls.ca bundles are the usual culprit).'
      : 'Shorten the values (service name, bus name).';
    throw new Error(`Pop3Poller: the configuration in ${deployConfig.source} needs about ${size} bytes of Lambda environment, over the ${LAMBDA_ENV_LIMIT}-byte limit. ${fix}`);
  }
}

/**
 * The ARN to grant on for a secret given by name or ARN. Secrets Manager appends 6 random
 * characters to every secret's ARN, so a name or partial ARN is matched with "-??????".
 */
function secretArnForPolicy(stack: Stack, ref: string): string {
  if (ref.startsWith('arn:')) {
    const name = ref.split(':').slice(6).join(':');
    return /-[A-Za-z0-9]{6}$/.test(name) ? ref : `${ref}-??????`;
  }
  return stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${ref}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
