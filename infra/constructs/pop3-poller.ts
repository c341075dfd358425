/**
 * Pop3Poller: the whole of pop3-ingest as one reusable construct. Give it a configuration (the
 * same JSON the CLI reads, validated here at synth time) and it deploys the bucket, the event
 * bus, the poller function, one EventBridge Scheduler schedule per mailbox (in nested stacks,
 * so a fleet of 1,000 fits), the dead-letter queue, least-privilege grants by prefix, fleet-wide
 * alarms and a dashboard; and checks every deploy-time limit at synth (limits.ts).
 *
 * Retries are bounded on both hops (Scheduler -> Lambda, and Lambda's own async retries), the
 * handler throws for a retry only while one can still run, and events older than about half a
 * period are dropped to the dead-letter queue, so a failing mailbox never stacks up
 * invocations; the per-mailbox lease in S3 is the second line of defence.
 */
import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUNDLED_CONFIG_NAME, BUNDLED_CONFIG_PATH, HANDLER_ENV, METRICS } from '../../lambda/handler/contract.js';
import { DETAIL_TYPE_MESSAGE_STORED } from '../../lambda/sync/events.js';
import { mailboxPeriods, objectLayout, secretReferences, validateDeployConfig, type DeployConfig } from '../deploy-config.js';
import { checkLimitsOf, environmentBytes, LIMITS } from '../limits.js';
import { loginDelayWarnings } from '../login-delay.js';
import { acknowledgeRule, acknowledgeWildcardResources } from '../nag.js';
import { secretGrantArns } from '../secret-grants.js';
import { EgressNetwork } from './egress-network.js';
import { MailBucket, type MailBucketProps } from './mail-bucket.js';
import { PollerFunction, timeoutFor } from './poller-function.js';
import { PollerMonitoring } from './poller-monitoring.js';
import { DEFAULT_SCHEDULE_SHARDS, ScheduleShards } from './schedule-shards.js';

export { BUNDLED_CONFIG_NAME, BUNDLED_CONFIG_PATH };

/** Retry settings for the two hops a scheduled poll takes. */
export interface Pop3PollerRetryProps {
  /** Scheduler -> Lambda delivery retries (0-185; kept small). @default 2 */
  readonly scheduleRetryAttempts?: number;
  /** Lambda async invoke retries after the handler throws (0-2). @default 1 */
  readonly invokeRetryAttempts?: number;
  /**
   * Drop (to the DLQ) rather than run a poll this late, on both hops (Scheduler and Lambda).
   * @default half the mailbox's shortest gap between polls on the Scheduler hop, half the
   * shortest of all on the function's; 60 s to 6 h
   */
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
  /**
   * Use this bus; one in another account or region is published to by its ARN.
   * @default config.events.busName if set (a name or an ARN), else a new custom bus
   */
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
  /** The Backlog alarm fires when a mailbox keeps more than this many new messages on the server 3 periods in a row. @default 0 */
  readonly backlogThreshold?: number;
  /**
   * Mailbox ids that also get their own alarms (auth failures, stall, backlog growth), for the
   * few boxes that matter most: 3 alarms each, $0.30 a month. The fleet alarms cover everyone.
   * @default none
   */
  readonly mailboxAlarms?: readonly string[];
  /**
   * Nested stacks the schedules are spread over (by a hash of the mailbox id; see
   * ScheduleShards). About 490 mailboxes fit in each; changing it moves schedules once.
   * @default 4
   */
  readonly scheduleShards?: number;
  /** Ship the source map and run with --enable-source-maps (readable stack traces, slower cold start). @default false */
  readonly sourceMaps?: boolean;
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
  /** One schedule per mailbox id, in nested stacks. */
  readonly schedules: ScheduleShards;
  /** Alarms and dashboard. */
  readonly monitoring: PollerMonitoring;
  /** The validated configuration. */
  readonly deployConfig: DeployConfig;
  /** The fixed egress network, when fixedEgressIp is set. */
  readonly egress?: EgressNetwork;
  /** The bus reference the function publishes with: an ARN (works across accounts and regions). */
  readonly eventBusArn: string;
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
    const periods = mailboxPeriods(config);
    const shortest = Math.min(...[...periods.values()].map((p) => p.minSeconds));
    for (const warning of loginDelayWarnings(config, periods)) Annotations.of(this).addWarning(warning);

    const timeout = props.timeout ?? timeoutFor(shortest);
    if (timeout.toSeconds() >= shortest) {
      throw new Error(`Pop3Poller: timeout ${timeout.toHumanString()} must be shorter than the shortest gap between two polls (${Duration.seconds(shortest).toHumanString()}), or polls would overlap`);
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
      const created = new MailBucket(this, 'Storage', { statePrefix: config.storage.statePrefix, ...props.bucketProps });
      this.bucket = created.bucket;
      bucketKey = created.encryptionKey;
    }
    if (props.eventBus) {
      this.eventBus = props.eventBus;
    } else if (config.events.busName !== undefined) {
      const name = config.events.busName;
      this.eventBus = name.startsWith('arn:') ? events.EventBus.fromEventBusArn(this, 'ExistingBus', name) : events.EventBus.fromEventBusName(this, 'ExistingBus', name);
    } else {
      this.eventBus = new events.EventBus(this, 'Bus', { description: 'pop3-ingest: one event per stored message' });
    }
    // Always the ARN: a name would make PutEvents look for a same-named bus in the function's
    // own account and region (EventBridge PutEvents: EventBusName takes a name or an ARN).
    this.eventBusArn = this.eventBus.eventBusArn;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeRule(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the schedules and of the function\'s async invocations.');

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
    const common = {
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      [HANDLER_ENV.maxEventAgeSeconds]: String(retry.functionMaxEventAge.toSeconds()),
      [HANDLER_ENV.invokeRetryAttempts]: String(retry.invokeRetryAttempts),
    };
    let environment: Record<string, string>;
    if (props.code) {
      environment = { [HANDLER_ENV.config]: lambdaConfigJson(this, deployConfig, this.bucket.bucketName, this.eventBusArn), ...common };
    } else {
      this.bundledConfig = bundledConfigJson(this, deployConfig);
      environment = {
        [HANDLER_ENV.configFile]: BUNDLED_CONFIG_PATH,
        [HANDLER_ENV.bucket]: this.bucket.bucketName,
        [HANDLER_ENV.eventBus]: this.eventBusArn,
        ...common,
      };
    }
    checkEnvironmentSize(this, deployConfig, environment, props.code !== undefined);
    const poller = new PollerFunction(this, 'Poller', {
      timeout,
      environment,
      retryAttempts: retry.invokeRetryAttempts,
      maxEventAge: retry.functionMaxEventAge,
      deadLetterQueue: this.deadLetterQueue,
      ...(props.memorySize === undefined ? {} : { memorySize: props.memorySize }),
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      ...(vpc ? { vpc, ...(vpcSubnets ? { vpcSubnets } : {}) } : {}),
      ...(props.code ? { code: props.code } : {}),
      ...(this.bundledConfig === undefined ? {} : { bundledFiles: { [BUNDLED_CONFIG_NAME]: this.bundledConfig } }),
      ...(props.sourceMaps === undefined ? {} : { sourceMaps: props.sourceMaps }),
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
    poller.function.grantInvoke(schedulerRole);
    this.deadLetterQueue.grantSendMessages(schedulerRole);
    acknowledgeWildcardResources(
      schedulerRole,
      [`${poller.function.functionArn}:*`],
      'Granted by Function.grantInvoke: versions and aliases of this one function, nothing else.',
    );
    this.schedules = new ScheduleShards(this, 'Schedules', {
      mailboxes: config.mailboxes.map((m) => ({
        id: m.id,
        schedule: m.schedule,
        maxEventAge: retry.maxEventAge ?? maxEventAgeFor((periods.get(m.id)?.minSeconds ?? shortest)),
      })),
      shards: props.scheduleShards ?? DEFAULT_SCHEDULE_SHARDS,
      function: poller.function,
      role: schedulerRole,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: retry.scheduleRetryAttempts,
      enabled: props.schedulesEnabled ?? true,
    });

    // ---- monitoring -------------------------------------------------------------------------
    this.monitoring = new PollerMonitoring(this, 'Monitoring', {
      function: poller.function,
      deadLetterQueue: this.deadLetterQueue,
      mailboxes: config.mailboxes.map((m) => ({ id: m.id, periods: periods.get(m.id) ?? { minSeconds: shortest, maxSeconds: shortest } })),
      serviceName,
      mailboxAlarms: (props.mailboxAlarms ?? []).map((mailboxId) => {
        if (!periods.has(mailboxId)) throw new Error(`Pop3Poller: mailboxAlarms names ${mailboxId}, which is not in the configuration`);
        return { id: mailboxId, scope: this.schedules.stackOf(mailboxId) };
      }),
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.stallPeriods === undefined ? {} : { stallPeriods: props.stallPeriods }),
      ...(props.backlogThreshold === undefined ? {} : { backlogThreshold: props.backlogThreshold }),
      ...(props.dashboard === undefined ? {} : { dashboard: props.dashboard }),
    });

    // Every template this construct touches is checked against CloudFormation, IAM, CloudWatch
    // and Lambda limits at synth (Annotations errors), before any deploy can fail on them.
    checkLimitsOf(Stack.of(this));
    for (const nested of this.schedules.stacks.values()) checkLimitsOf(nested);
  }

  /** Lets `grantee` read the stored messages (GetObject under the message prefixes, and the bucket key). */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    const [first, ...rest] = objectLayout(this.deployConfig.config).messagePrefixes.map((prefix) => this.bucket.grantRead(grantee, `${prefix}*`));
    return rest.reduce((all, g) => all.combine(g), first as iam.Grant);
  }

  /**
   * Sends every "Message Stored" event of this poller to `target` (an EventBridge rule on the
   * poller's bus, matching its source and detail-type). Two lines for a consumer:
   * `poller.onMessageStored('ToQueue', new targets.SqsQueue(queue)); poller.grantRead(consumerFn);`
   */
  onMessageStored(id: string, target?: events.IRuleTarget, options: Omit<events.RuleProps, 'eventBus' | 'eventPattern' | 'targets'> = {}): events.Rule {
    return new events.Rule(this, id, {
      description: 'pop3-ingest: every stored message',
      ...options,
      eventBus: this.eventBus,
      eventPattern: { source: [this.deployConfig.config.events.source], detailType: [DETAIL_TYPE_MESSAGE_STORED] },
      ...(target ? { targets: [target] } : {}),
    });
  }

  /** S3 under the configured prefixes only, PutEvents on the bus with our source, and the referenced secrets by name prefix. */
  private grantRuntimeAccess(role: iam.Role, deployConfig: DeployConfig, bucketKey: kms.IKey | undefined, secretKeys: readonly kms.IKey[]): void {
    const { config } = deployConfig;
    const layout = objectLayout(config);
    const objects = (prefix: string) => this.bucket.arnForObjects(`${prefix}*`);
    const stack = Stack.of(this);

    // Messages are create-only: PutObject and CompleteMultipartUpload must carry If-None-Match
    // (s3:if-none-match), so even this role cannot overwrite a stored message. The parts of a
    // multipart upload cannot carry the header; s3:ObjectCreationOperation exempts exactly
    // them (S3 user guide, "Enforce conditional writes").
    const messageArns = layout.messagePrefixes.map(objects);
    role.addToPolicy(new iam.PolicyStatement({ sid: 'StoreMessagesCreateOnly', actions: ['s3:PutObject'], resources: messageArns, conditions: { Null: { 's3:if-none-match': 'false' } } }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'UploadMessageParts', actions: ['s3:PutObject'], resources: messageArns, conditions: { Bool: { 's3:ObjectCreationOperation': 'false' } } }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'AbortMessageUploads', actions: ['s3:AbortMultipartUpload'], resources: messageArns }));
    // After a 412 the store reads the existing object's metadata (HeadObject needs s3:GetObject)
    // to tell the same message from a re-used UID's new one.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadMessageMetadata', actions: ['s3:GetObject'], resources: messageArns }));
    // Seen-state and leases: one document per mailbox under two fixed prefixes.
    const stateArns = [objects(layout.statePrefix)];
    const leaseArns = [objects(layout.leasePrefix)];
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadWriteSeenState', actions: ['s3:GetObject', 's3:PutObject'], resources: stateArns }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'HoldLeases', actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: leaseArns }));
    acknowledgeWildcardResources(
      role,
      [...messageArns, ...stateArns, ...leaseArns],
      'Keys are derived per message and per mailbox; each wildcard is one fixed prefix (messages: create-only, enforced by the s3:if-none-match condition; state and lease: the control documents).',
    );
    // Without ListBucket, S3 answers GetObject on a missing key with 403, not 404, and the first
    // poll of a new mailbox (no state yet) would fail as "access denied". ListBucket reveals key
    // names, never content.
    role.addToPolicy(new iam.PolicyStatement({ sid: 'TellMissingFromForbidden', actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));

    if (bucketKey) {
      // SSE-KMS: writing needs a data key; multipart completion and reads need Decrypt. Only
      // through S3 (kms:ViaService), never directly.
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'BucketKeyViaS3',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [bucketKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.${stack.urlSuffix}` } },
      }));
    }

    // PutEvents with our source only (events:source), on this bus only.
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'PublishOwnSource',
      actions: ['events:PutEvents'],
      resources: [this.eventBusArn],
      conditions: { StringEquals: { 'events:source': config.events.source } },
    }));

    const refs = secretReferences(config);
    const readArns = secretGrantArns(stack, refs);
    const writeArns = secretGrantArns(stack, refs.filter((r) => r.writeBack));
    if (readArns.length > 0) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadMailboxSecrets', actions: ['secretsmanager:GetSecretValue'], resources: readArns }));
    }
    if (writeArns.length > 0) {
      // OAuth2 providers may rotate the refresh token on use; the new one is written back.
      role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteBackRotatedTokens', actions: ['secretsmanager:PutSecretValue'], resources: writeArns }));
    }
    acknowledgeWildcardResources(role, [...new Set([...readArns, ...writeArns])], 'Secrets are granted by their name prefix (the part up to the last "/") so the policy does not grow with the fleet; a name without "/" is granted alone, "-??????" being the suffix Secrets Manager appends.');
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
  /** The user's setting, for both hops; undefined: per mailbox on the Scheduler hop. */
  maxEventAge?: Duration;
  /** The function's (Lambda hop): the user's, or half the shortest gap of all mailboxes. */
  functionMaxEventAge: Duration;
}

function resolveRetry(retry: Pop3PollerRetryProps | undefined, shortestSeconds: number): ResolvedRetry {
  const scheduleRetryAttempts = retry?.scheduleRetryAttempts ?? 2;
  const invokeRetryAttempts = retry?.invokeRetryAttempts ?? 1;
  if (!Number.isInteger(scheduleRetryAttempts) || scheduleRetryAttempts < 0 || scheduleRetryAttempts > 185) {
    throw new Error(`Pop3Poller: retry.scheduleRetryAttempts must be 0-185 (got ${scheduleRetryAttempts}); keep it small`);
  }
  if (!Number.isInteger(invokeRetryAttempts) || invokeRetryAttempts < 0 || invokeRetryAttempts > 2) {
    throw new Error(`Pop3Poller: retry.invokeRetryAttempts must be 0, 1 or 2 (got ${invokeRetryAttempts})`);
  }
  const given = retry?.maxEventAge;
  if (given !== undefined && (given.toSeconds() < 60 || given.toSeconds() > 6 * 3600)) {
    throw new Error(`Pop3Poller: retry.maxEventAge must be between 1 minute and 6 hours (got ${given.toHumanString()})`);
  }
  return { scheduleRetryAttempts, invokeRetryAttempts, ...(given ? { maxEventAge: given } : {}), functionMaxEventAge: given ?? maxEventAgeFor(shortestSeconds) };
}

/** Half a gap: a poll that late is better skipped (the next one is due soon). Lambda and Scheduler accept 60 s to 6 h here. */
function maxEventAgeFor(periodSeconds: number): Duration {
  return Duration.seconds(Math.min(6 * 3600, Math.max(60, Math.floor(periodSeconds / 2))));
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
const TOKEN_WORST_CASE: Readonly<Record<string, number>> = { [HANDLER_ENV.bucket]: 63, [HANDLER_ENV.eventBus]: 320 };

/** An Annotations error at synth (instead of a failed deployment) when the environment will not fit Lambda's 4 KB. */
function checkEnvironmentSize(scope: Construct, deployConfig: DeployConfig, environment: Record<string, string>, prebuiltCode: boolean): void {
  // Tokens resolve at deploy time; count them at their largest. The inline config holds both a
  // bucket and a bus reference (plus JSON quoting slack).
  const inlineWorst = JSON.stringify(deployConfig.raw).length + 63 + 320 + 64;
  const size = environmentBytes(environment, (key) => TOKEN_WORST_CASE[key] ?? inlineWorst, (value) => Token.isUnresolved(value));
  if (size > LIMITS.lambdaEnvironmentBytes) {
    const fix = prebuiltCode
      ? 'With prebuilt `code` the configuration travels inline in POP3_INGEST_CONFIG: leave `code` unset so the stack bundles the handler with the configuration inside, split the mailboxes over several Pop3Poller constructs, or shorten the config (inline tls.ca bundles are the usual culprit).'
      : 'Shorten the values (service name, bus name).';
    Annotations.of(scope).addError(`Pop3Poller: the configuration in ${deployConfig.source} needs about ${size} bytes of Lambda environment, over the ${LIMITS.lambdaEnvironmentBytes}-byte limit. ${fix}`);
  }
}
