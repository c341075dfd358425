/**
 * Threat: a compromised or buggy poller reaches beyond its mailboxes (reads other objects,
 * overwrites mail, publishes to other buses, reads other secrets). Every grant is checked here.
 */
import { describe, expect, it } from 'vitest';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { flattenCfnReference } from '../../infra/nag.js';
import { resourcesOf, sampleConfig, synthDefault, synthPoller, type Synthesized } from './synth.js';

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The poller role's statements, with resources flattened to strings like "<Bucket.Arn>/mail/support/*". */
function pollerStatements({ stack, poller }: Synthesized): { actions: string[]; resources: string[]; sid?: string; condition?: unknown }[] {
  const policy = poller.node.findChild('Poller').node.findChild('Role').node.findChild('DefaultPolicy').node.defaultChild;
  const doc = stack.resolve((policy as unknown as { policyDocument: unknown }).policyDocument) as { Statement: Statement[] };
  return doc.Statement.map((s) => ({
    ...(s.Sid ? { sid: s.Sid } : {}),
    ...(s.Condition ? { condition: flattenDeep(s.Condition) } : {}),
    actions: ([] as string[]).concat(s.Action),
    resources: ([] as unknown[]).concat(s.Resource).map(flattenCfnReference),
  }));
}

/** Flattens every CloudFormation intrinsic inside a JSON value (conditions hold them in their values). */
function flattenDeep(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && ['Fn::Join', 'Ref', 'Fn::GetAtt', 'Fn::Sub'].includes(keys[0] ?? '')) return flattenCfnReference(value);
  if (Array.isArray(value)) return value.map(flattenDeep);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, flattenDeep(v)]));
}

function grantsOf(statements: ReturnType<typeof pollerStatements>, action: string): string[] {
  return statements.filter((s) => s.actions.includes(action)).flatMap((s) => s.resources).sort();
}

describe('poller role: least privilege', () => {
  it('writes messages create-only under the message prefix, reads only their metadata back (after a 412), never deletes them', () => {
    const synthesized = synthDefault();
    const statements = pollerStatements(synthesized);
    const bucket = Object.keys(resourcesOf(synthesized.template, 'AWS::S3::Bucket'))[0];

    expect(grantsOf(statements, 's3:PutObject')).toEqual([`<${bucket}.Arn>/lease/*`, `<${bucket}.Arn>/mail/*`, `<${bucket}.Arn>/mail/*`, `<${bucket}.Arn>/state/*`].sort());
    // Reading is limited to the control documents and (HeadObject after a 412) the messages; deleting to the leases.
    expect(grantsOf(statements, 's3:GetObject')).toEqual([`<${bucket}.Arn>/lease/*`, `<${bucket}.Arn>/mail/*`, `<${bucket}.Arn>/state/*`]);
    expect(grantsOf(statements, 's3:DeleteObject')).toEqual([`<${bucket}.Arn>/lease/*`]);
    expect(grantsOf(statements, 's3:ListBucket')).toEqual([`<${bucket}.Arn>`]);
    expect(statements.flatMap((s) => s.actions).filter((a) => a.startsWith('s3:')).sort()).toEqual(
      ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:GetObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:PutObject', 's3:PutObject', 's3:PutObject'].sort(),
    );
  });

  it('lets even the poller write a message only with If-None-Match, so a stored message cannot be overwritten', () => {
    // S3 user guide, "Enforce conditional writes": PutObject and CompleteMultipartUpload must
    // carry the header; the parts of a multipart upload cannot, and s3:ObjectCreationOperation
    // exempts exactly them.
    const statements = pollerStatements(synthDefault()).filter((s) => s.actions.includes('s3:PutObject') && s.resources.some((r) => r.endsWith('/mail/*')));
    expect(statements.map((s) => s.condition)).toEqual([
      { Null: { 's3:if-none-match': 'false' } },
      { Bool: { 's3:ObjectCreationOperation': 'false' } },
    ]);
  });

  it('grants by prefix, so the policy does not grow with the fleet', () => {
    const size = (n: number) => {
      const config = sampleConfig();
      const [first] = config.mailboxes as Record<string, unknown>[];
      const mailboxes = Array.from({ length: n }, (_, i) => ({ ...first, id: `box-${i}`, auth: { user: 'u', secret: { secretsManager: `pop3-ingest/box-${i}` } } }));
      return JSON.stringify(pollerStatements(synthPoller({ config: { ...config, mailboxes } }))).length;
    };
    expect(size(40)).toBe(size(2));
  });

  it('follows the configured state prefix and per-mailbox message prefix', () => {
    const config = sampleConfig();
    const [first, second] = config.mailboxes as Record<string, unknown>[];
    const synthesized = synthPoller({
      config: { ...config, mailboxes: [{ ...first, prefix: 'raw/' }, second], storage: { prefix: 'mail/', statePrefix: 'ctl/' } },
    });
    const puts = grantsOf(pollerStatements(synthesized), 's3:PutObject').map((r) => r.replace(/^<[^>]+>/, ''));
    expect([...new Set(puts)]).toEqual(['/ctl/lease/*', '/ctl/state/*', '/mail/*', '/raw/*']);
  });

  it('publishes only to its own bus, and only with its own source', () => {
    const synthesized = synthDefault();
    const bus = Object.keys(resourcesOf(synthesized.template, 'AWS::Events::EventBus'))[0];
    const statements = pollerStatements(synthesized).filter((s) => s.actions.includes('events:PutEvents'));
    expect(statements.flatMap((s) => s.resources)).toEqual([`<${bus}.Arn>`]);
    expect(statements.map((s) => s.condition)).toEqual([{ StringEquals: { 'events:source': 'pop3-ingest' } }]);
  });

  it('reads secrets by name prefix, and writes back only under the OAuth2 refresh-token secrets\' prefix', () => {
    const statements = pollerStatements(synthDefault());
    expect(grantsOf(statements, 'secretsmanager:GetSecretValue')).toEqual([
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:pop3-ingest/*',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pop3-ingest/*',
    ]);
    expect(grantsOf(statements, 'secretsmanager:PutSecretValue')).toEqual(['arn:aws:secretsmanager:eu-west-1:111122223333:secret:pop3-ingest/*']);
    expect(statements.flatMap((s) => s.actions).filter((a) => a.startsWith('secretsmanager:')).sort()).toEqual([
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
    ]);
  });

  it('grants a secret name ending in "-" and six characters under both readings', () => {
    // Threat: Secrets Manager cannot tell a partial ARN ".../box-backup" from a complete one,
    // and a grant on the exact ARN alone denies the real "box-backup-AbC123".
    const config = sampleConfig();
    const [first] = config.mailboxes as Record<string, unknown>[];
    const partial = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:box-backup';
    const synthesized = synthPoller({ config: { ...config, mailboxes: [{ ...first, auth: { user: 'u', secret: { secretsManager: partial } } }, { ...first, id: 'plain', auth: { user: 'u', secret: { secretsManager: 'standalone-secret' } } }] } });
    expect(grantsOf(pollerStatements(synthesized), 'secretsmanager:GetSecretValue')).toEqual([
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:standalone-secret-??????',
      partial,
      `${partial}-??????`,
    ]);
  });

  it('decrypts with a secrets key only through Secrets Manager, when one is given', () => {
    const synthesized = synthPoller((stack) => ({ secretsEncryptionKeys: [kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab')] }));
    const statement = pollerStatements(synthesized).find((s) => s.sid === 'DecryptSecretsViaSecretsManager');
    expect(statement?.actions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(statement?.resources).toEqual(['arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab']);
    expect(statement?.condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.<AWS::Region>.<AWS::URLSuffix>' } });
    expect(pollerStatements(synthDefault()).some((s) => s.actions.some((a) => a.startsWith('kms:')))).toBe(false);
  });

  it('writes logs only to its own log group', () => {
    const synthesized = synthDefault();
    const logGroup = Object.keys(resourcesOf(synthesized.template, 'AWS::Logs::LogGroup'))[0];
    // The Arn attribute of a log group ends in ":*" (its streams).
    expect(grantsOf(pollerStatements(synthesized), 'logs:PutLogEvents')).toEqual([`<${logGroup}.Arn>`]);
  });

  it('has no wildcard action and no "*" resource, and no managed policy', () => {
    const synthesized = synthDefault();
    const statements = pollerStatements(synthesized);
    expect(statements.flatMap((s) => s.actions).filter((a) => a.includes('*'))).toEqual([]);
    expect(statements.flatMap((s) => s.resources)).not.toContain('*');
    for (const role of Object.values(resourcesOf(synthesized.template, 'AWS::IAM::Role'))) {
      expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('grants on an existing bucket and bus named in the config, without creating them', () => {
    const config = { ...sampleConfig(), storage: { bucket: 'acme-mail-archive', prefix: 'in/' }, events: { busName: 'acme-mail' } };
    const synthesized = synthPoller({ config });
    synthesized.template.resourceCountIs('AWS::S3::Bucket', 0);
    synthesized.template.resourceCountIs('AWS::Events::EventBus', 0);
    const statements = pollerStatements(synthesized);
    expect(grantsOf(statements, 's3:AbortMultipartUpload')).toEqual(['arn:<AWS::Partition>:s3:::acme-mail-archive/in/*']);
    expect(grantsOf(statements, 'events:PutEvents')).toEqual(['arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/acme-mail']);
  });

  it('grants on a bucket and bus passed as constructs', () => {
    const given = synthPoller((stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'B', 'given-bucket'),
      eventBus: events.EventBus.fromEventBusName(stack, 'E', 'given-bus'),
    }));
    given.template.resourceCountIs('AWS::S3::Bucket', 0);
    given.template.resourceCountIs('AWS::Events::EventBus', 0);
    expect(grantsOf(pollerStatements(given), 'events:PutEvents')).toEqual(['arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/given-bus']);
  });

  it('publishes to a bus in another account or region by its ARN, in the function environment too', () => {
    const arn = 'arn:aws:events:eu-central-1:444455556666:event-bus/central';
    const given = synthPoller((stack) => ({ eventBus: events.EventBus.fromEventBusArn(stack, 'E', arn) }));
    expect(grantsOf(pollerStatements(given), 'events:PutEvents')).toEqual([arn]);
    const fn = Object.values(resourcesOf(given.template, 'AWS::Lambda::Function'))[0];
    const inline = JSON.stringify((fn?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.POP3_INGEST_CONFIG);
    expect(inline).toContain(JSON.stringify(`"busName":"${arn}"`).slice(1, -1));
  });

  it('uses the bucket key only through S3', () => {
    const statement = pollerStatements(synthPoller({ bucketProps: { encryption: 'kms' } })).find((s) => s.sid === 'BucketKeyViaS3');
    expect(statement?.actions).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    expect(statement?.condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.<AWS::Region>.<AWS::URLSuffix>' } });
  });

  it('lets only EventBridge Scheduler of this account invoke the function', () => {
    const { template } = synthDefault();
    const roles = Object.values(resourcesOf(template, 'AWS::IAM::Role'));
    const schedulerRole = roles.find((r) => JSON.stringify(r.Properties?.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'));
    expect(JSON.stringify(schedulerRole?.Properties?.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');
  });
});
