/**
 * `pop3-ingest/cdk`: the CDK constructs for another app. The handler bundle ships in the
 * package (dist/bundle/handler.mjs), so a consumer needs neither esbuild nor the sources.
 *
 * ```ts
 * import { Pop3Poller } from 'pop3-ingest/cdk';
 * const mail = new Pop3Poller(this, 'Mail', { config: JSON.parse(readFileSync('mailboxes.json', 'utf8')) });
 * mail.onMessageStored('ToQueue', new targets.SqsQueue(queue));
 * mail.grantRead(consumer);
 * ```
 */
export { Pop3Poller, type Pop3PollerProps, type Pop3PollerRetryProps } from './constructs/pop3-poller.js';
export { Pop3IngestStack, STACK_OUTPUTS, type Pop3IngestStackProps } from './stack.js';
export { MailBucket, type MailBucketEncryption, type MailBucketProps } from './constructs/mail-bucket.js';
export { PollerMonitoring, type MailboxAlarms, type PollerMonitoringProps } from './constructs/poller-monitoring.js';
export { ScheduleShards, DEFAULT_SCHEDULE_SHARDS, shardOf } from './constructs/schedule-shards.js';
export { EgressNetwork, type EgressNetworkProps } from './constructs/egress-network.js';
export { loadDeployConfig, validateDeployConfig, type DeployConfig } from './deploy-config.js';
export { schedulePeriods, SchedulePeriodError, type SchedulePeriods } from './schedule-period.js';
export { LIMITS } from './limits.js';
