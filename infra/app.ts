/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy` (cdk.json runs this with tsx).
 *
 * Context (all optional, `-c key=value`):
 *   config          mailboxes file (default examples/mailboxes.json), validated at synth time
 *   stackName       default Pop3Ingest
 *   alarmTopicArn   SNS topic for alarm notifications
 *   memorySize      function memory in MB (default 512)
 *   fixedEgressIp   "true": run in a VPC behind a NAT gateway with a fixed Elastic IP
 *   nag             "false" to skip the cdk-nag AwsSolutions checks (on by default)
 *   scheduleShards  nested stacks the schedules are spread over (default 4, ~490 mailboxes each)
 *   mailboxAlarms   comma-separated mailbox ids that also get their own alarms
 *   sourceMaps      "true": ship the source map and run with --enable-source-maps
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambda/config/schema.js';
import { loadDeployConfig } from './deploy-config.js';
import { Pop3IngestStack } from './stack.js';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null ? undefined : String(value);
};

const configPath = context('config') ?? 'examples/mailboxes.json';
let deployConfig;
try {
  deployConfig = loadDeployConfig(configPath);
} catch (error) {
  if (error instanceof ConfigError) {
    // The message already names each bad field and the fix; a stack trace adds nothing.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const memorySize = context('memorySize');
if (memorySize !== undefined && !(Number.isInteger(Number(memorySize)) && Number(memorySize) >= 128 && Number(memorySize) <= 10240)) {
  console.error(`-c memorySize=${memorySize}: expected a whole number of MB between 128 and 10240`);
  process.exit(1);
}
const alarmTopicArn = context('alarmTopicArn');
const scheduleShards = context('scheduleShards');
const mailboxAlarms = context('mailboxAlarms')?.split(',').map((id) => id.trim()).filter((id) => id !== '');
new Pop3IngestStack(app, context('stackName') ?? 'Pop3Ingest', {
  description: 'pop3-ingest: POP3 mailboxes to S3 and EventBridge',
  deployConfig,
  ...(alarmTopicArn ? { alarmTopicArn } : {}),
  poller: {
    ...(memorySize ? { memorySize: Number(memorySize) } : {}),
    fixedEgressIp: context('fixedEgressIp') === 'true',
    sourceMaps: context('sourceMaps') === 'true',
    ...(scheduleShards ? { scheduleShards: Number(scheduleShards) } : {}),
    ...(mailboxAlarms ? { mailboxAlarms } : {}),
  },
});

if (context('nag') !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
