/**
 * A complete CDK app that uses pop3-ingest from the package: mailboxes polled into S3, every
 * stored message sent to an SQS queue, and a consumer function allowed to read the messages.
 *
 *   npm install pop3-ingest aws-cdk-lib constructs
 *   npx cdk synth --app 'npx tsx app.ts' -c config=mailboxes.json
 */
import { readFileSync } from 'node:fs';
import { App, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { Pop3Poller } from 'pop3-ingest/cdk';

class MailIntakeStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps & { configPath: string }) {
    super(scope, id, props);

    const mail = new Pop3Poller(this, 'Mail', {
      config: JSON.parse(readFileSync(props.configPath, 'utf8')) as unknown,
      configSource: props.configPath,
      bucketProps: { encryption: 'kms', versioned: true },
      mailboxAlarms: [],
    });

    // Two lines for a consumer: the events, and the right to read what they point at.
    const queue = new sqs.Queue(this, 'Stored', { enforceSSL: true, visibilityTimeout: Duration.minutes(2) });
    mail.onMessageStored('ToQueue', new targets.SqsQueue(queue));

    const reader = new lambda.Function(this, 'Reader', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('export const handler = async (event) => console.log(event.detail.bucket, event.detail.key);'),
    });
    mail.onMessageStored('ToReader', new targets.LambdaFunction(reader));
    mail.grantRead(reader);

    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
  }
}

const app = new App();
new MailIntakeStack(app, 'MailIntake', { configPath: String(app.node.tryGetContext('config') ?? 'mailboxes.json') });
