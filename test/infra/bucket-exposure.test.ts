/**
 * Threat: raw mail exposed or lost through the bucket (public access, plaintext at rest or in
 * transit, deleted with the stack).
 */
import { describe, expect, it } from 'vitest';
import { Match } from 'aws-cdk-lib/assertions';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as kms from 'aws-cdk-lib/aws-kms';
import { resourcesOf, sampleConfig, synthDefault, synthPoller, synthVariant } from './synth.js';

describe('mail bucket', () => {
  it('blocks all public access, enforces bucket ownership and encrypts with SSE-S3 by default', () => {
    synthDefault().template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
  });

  it('refuses plain HTTP and TLS below 1.2', () => {
    synthDefault().template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });

  it('is retained when the stack is deleted', () => {
    const buckets = synthDefault().template.findResources('AWS::S3::Bucket') as Record<string, { DeletionPolicy?: string }>;
    expect(Object.values(buckets).map((b) => b.DeletionPolicy)).toEqual(['Retain']);
  });

  it('cleans up multipart uploads a crash left behind, and adds the caller\'s lifecycle rules', () => {
    const { template } = synthVariant();
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Id: 'abort-incomplete-multipart', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } }),
          Match.objectLike({ Id: 'expire-old-state-versions' }),
          Match.objectLike({ Id: 'expire-old-lease-versions' }),
          Match.objectLike({ Id: 'archive', Prefix: 'mail/' }),
        ],
      },
    });
  });

  it('expires old versions and delete markers of the state and lease documents in a versioned bucket', () => {
    // Threat: every poll with work saves state and releases its lease; versioned, each save
    // keeps the previous document and each release leaves a delete marker, forever.
    const rules = (synth: ReturnType<typeof synthVariant>) =>
      (Object.values(resourcesOf(synth.template, 'AWS::S3::Bucket'))[0]?.Properties?.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    for (const dir of ['state', 'lease']) {
      expect(rules(synthVariant())).toContainEqual({
        Id: `expire-old-${dir}-versions`, Prefix: `${dir}/`, Status: 'Enabled',
        NoncurrentVersionExpiration: { NoncurrentDays: 7 }, ExpiredObjectDeleteMarker: true,
      });
    }
    const prefixed = synthPoller({ bucketProps: { versioned: true }, config: { ...sampleConfig(), storage: { prefix: 'mail/', statePrefix: 'ctl/' } } });
    expect(rules(prefixed).map((r) => r.Prefix)).toEqual(expect.arrayContaining(['ctl/state/', 'ctl/lease/']));
    // Unversioned, there is nothing to expire.
    expect(rules(synthDefault()).map((r) => r.Id)).toEqual(['abort-incomplete-multipart']);
  });

  it('records S3 data events in a given CloudTrail trail, and says so in the S1 acknowledgement', () => {
    const synth = synthPoller((stack) => ({ bucketProps: { dataEventsTrail: new cloudtrail.Trail(stack, 'Trail') } }));
    synth.template.hasResourceProperties('AWS::CloudTrail::Trail', {
      EventSelectors: Match.arrayWith([Match.objectLike({ DataResources: [Match.objectLike({ Type: 'AWS::S3::Object' })] })]),
    });
    const bucket = synth.poller.node.findChild('Storage').node.findChild('Bucket');
    const acks = bucket.node.metadata.map((m) => JSON.stringify(m.data)).join('\n');
    expect(acks).toMatch(/CloudTrail data event by the trail Test\/Trail/);
    const plain = synthDefault().poller.node.findChild('Storage').node.findChild('Bucket').node.metadata.map((m) => JSON.stringify(m.data)).join('\n');
    expect(plain).toMatch(/Neither server access logs nor CloudTrail data events/);
  });

  it('encrypts with a rotating KMS key on request, and lets the poller use only that key', () => {
    const { template } = synthVariant();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const key = Object.keys(resourcesOf(template, 'AWS::KMS::Key'))[0];
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } }, BucketKeyEnabled: true }),
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [key, 'Arn'] } })]),
      },
    });
  });

  it('uses a caller\'s KMS key instead of creating one', () => {
    const { template } = synthPoller((stack) => ({ bucketProps: { encryptionKey: new kms.Key(stack, 'MyKey', { enableKeyRotation: true }) } }));
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
    });
  });

  it('writes server access logs when given a log bucket', () => {
    const { template } = synthVariant();
    template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { DestinationBucketName: 'acme-access-logs', LogFilePrefix: 'pop3-ingest/' } });
  });
});
