/**
 * The bucket raw mail lands in, with the house defaults: no public access, encrypted at rest
 * (SSE-S3, or SSE-KMS with a rotating key), TLS 1.2+ only, bucket-owner-enforced objects,
 * retained when the stack is deleted, and incomplete multipart uploads cleaned up. Versioned,
 * the control documents (seen-state and leases, rewritten on every poll with work) do not pile
 * up old versions and delete markers. Access is audited by S3 server access logs or CloudTrail
 * data events, as the caller chooses.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeRule } from '../nag.js';

/** How the bucket is encrypted at rest. */
export type MailBucketEncryption = 's3-managed' | 'kms';

/** Properties of MailBucket. */
export interface MailBucketProps {
  /** @default 's3-managed' (SSE-S3: no key policy to get wrong, no KMS request charges) */
  readonly encryption?: MailBucketEncryption;
  /** With encryption 'kms': use this key instead of creating one. */
  readonly encryptionKey?: kms.IKey;
  /** Keep every version of every object. @default false (objects are create-only anyway) */
  readonly versioned?: boolean;
  /** Prefix of the seen-state and lease documents (config storage.statePrefix). @default '' */
  readonly statePrefix?: string;
  /** Versioned: keep superseded versions of state/ and lease/ documents this long. @default 7 days */
  readonly controlNoncurrentExpiration?: Duration;
  /** Extra lifecycle rules (e.g. move mail/ to Glacier after 90 days). */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /**
   * Write S3 server access logs to this bucket. An imported bucket's own policy must let
   * `logging.s3.amazonaws.com` write under the prefix (CDK cannot add it, and warns).
   * @default none (see the acknowledgement below)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  readonly serverAccessLogsPrefix?: string;
  /**
   * Record S3 data events (every object read and write) for this bucket in this trail.
   * @default none (see the acknowledgement below)
   */
  readonly dataEventsTrail?: cloudtrail.Trail;
  /** @default RemovalPolicy.RETAIN: deleting the stack must never delete mail */
  readonly removalPolicy?: RemovalPolicy;
}

/** An S3 bucket for raw messages, state and leases, secure by default. */
export class MailBucket extends Construct {
  /** The bucket. */
  readonly bucket: s3.Bucket;
  /** The KMS key, when encryption is 'kms'. */
  readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: MailBucketProps = {}) {
    super(scope, id);
    const versioned = props.versioned ?? false;
    const statePrefix = props.statePrefix ?? '';
    const useKms = (props.encryption ?? (props.encryptionKey ? 'kms' : 's3-managed')) === 'kms';
    if (props.encryptionKey && !useKms) {
      throw new Error("MailBucket: encryptionKey is given but encryption is 's3-managed'; set encryption: 'kms' or drop the key");
    }
    this.encryptionKey = useKms
      ? (props.encryptionKey ?? new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'pop3-ingest raw mail bucket', removalPolicy: RemovalPolicy.RETAIN }))
      : undefined;

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      ...(this.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: this.encryptionKey, bucketKeyEnabled: true }
        : { encryption: s3.BucketEncryption.S3_MANAGED }),
      versioned,
      lifecycleRules: [
        // The store spools large messages through multipart uploads; a crash mid-upload leaves
        // parts that are billed but invisible. The next poll re-uploads the message anyway.
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(2) },
        // Each save of a seen-state or lease document makes the previous one noncurrent, and
        // each lease release leaves a delete marker: without these rules a versioned bucket
        // keeps every one of them (one per poll with work) forever.
        ...(versioned
          ? ['state/', 'lease/'].map((dir) => ({
              id: `expire-old-${dir.slice(0, -1)}-versions`,
              prefix: `${statePrefix}${dir}`,
              noncurrentVersionExpiration: props.controlNoncurrentExpiration ?? Duration.days(7),
              expiredObjectDeleteMarker: true,
            }))
          : []),
        ...(props.lifecycleRules ?? []),
      ],
      ...(props.serverAccessLogsBucket
        ? { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? 'pop3-ingest/' }
        : {}),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    if (props.dataEventsTrail) {
      props.dataEventsTrail.addS3EventSelector([{ bucket: this.bucket }]);
    }
    if (!props.serverAccessLogsBucket) {
      acknowledgeRule(
        this.bucket,
        'AwsSolutions-S1',
        props.dataEventsTrail
          ? `Server access logs are off: every object read and write is recorded as a CloudTrail data event by the trail ${props.dataEventsTrail.node.path}.`
          : 'Neither server access logs nor CloudTrail data events are on (the caller chose; pass serverAccessLogsBucket or dataEventsTrail). Only the poller role writes here, and management events are in CloudTrail by default.',
      );
    }
  }
}
