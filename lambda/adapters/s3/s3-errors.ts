/**
 * Recognises the S3 answers the adapters treat as outcomes rather than failures.
 */

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function shape(error: unknown): SdkErrorShape {
  return (error !== null && typeof error === 'object' ? error : {}) as SdkErrorShape;
}

/** 412 Precondition Failed: If-None-Match '*' found an object, or If-Match found another ETag. */
export function isPreconditionFailed(error: unknown): boolean {
  const e = shape(error);
  return e.$metadata?.httpStatusCode === 412 || e.name === 'PreconditionFailed' || e.Code === 'PreconditionFailed';
}

/**
 * 409 ConditionalRequestConflict: S3 saw a concurrent conditional write to the same key
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
export function isConditionalConflict(error: unknown): boolean {
  const e = shape(error);
  return e.name === 'ConditionalRequestConflict' || e.Code === 'ConditionalRequestConflict' || e.$metadata?.httpStatusCode === 409;
}

/** 404: no object under the key (GetObject says NoSuchKey, HeadObject says NotFound). */
export function isNotFound(error: unknown): boolean {
  const e = shape(error);
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}
