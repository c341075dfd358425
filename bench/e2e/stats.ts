/**
 * Small pure helpers of the end-to-end benchmark: percentiles, peak session overlap from
 * Dovecot's log, and the cost model with its public list prices.
 */

/** The p-th percentile (0-100, nearest rank) of a non-empty list; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Most POP3 sessions open at once per user, read from Dovecot's log lines in order. */
export interface SessionOverlap {
  /** Highest number of simultaneous sessions seen for any one user. */
  maxPerUser: number;
  /** Users that ever had two sessions at once. */
  overlappingUsers: string[];
  /** Logins seen. */
  logins: number;
  /** Most sessions open at once over all users (the bounded concurrency, seen from the server). */
  maxTotal: number;
}

// Dovecot 2.3: "pop3-login: Info: Login: user=<bob>, ..." opens a session, and
// "pop3(bob)<pid><session>: Info: Disconnected: ..." (or "Connection closed") ends it.
const LOGIN = /pop3-login: (?:Info: )?Login: user=<([^>]*)>/;
const LOGOUT = /pop3\(([^)]*)\).*?: (?:Info: )?(?:Disconnected|Connection closed)/;

/** Counts open sessions per user over a Dovecot log; an overlap is a second login before a logout. */
export function sessionOverlap(log: string): SessionOverlap {
  const open = new Map<string, number>();
  const overlapping = new Set<string>();
  let maxPerUser = 0;
  let total = 0;
  let maxTotal = 0;
  let logins = 0;
  for (const line of log.split('\n')) {
    const login = LOGIN.exec(line);
    if (login) {
      const user = login[1] ?? '';
      const n = (open.get(user) ?? 0) + 1;
      open.set(user, n);
      logins += 1;
      total += 1;
      maxTotal = Math.max(maxTotal, total);
      maxPerUser = Math.max(maxPerUser, n);
      if (n > 1) overlapping.add(user);
      continue;
    }
    const logout = LOGOUT.exec(line);
    if (logout) {
      const user = logout[1] ?? '';
      const n = open.get(user) ?? 0;
      if (n > 0) {
        open.set(user, n - 1);
        total -= 1;
      }
    }
  }
  return { maxPerUser, overlappingUsers: [...overlapping].sort(), logins, maxTotal };
}

/**
 * Public us-east-1 list prices used by the cost figures (checked against the AWS pricing pages
 * for S3 Standard, EventBridge, Lambda arm64, Secrets Manager and SES; November 2026).
 */
export const PRICES = {
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  eventBridgePerMillionEvents: 1.0,
  eventBridgeChunkBytes: 64 * 1024,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  secretsManagerPer10000Calls: 0.05,
  sesInboundPer1000Mails: 0.1,
  sesInboundPer1000Chunks: 0.09,
  sesChunkBytes: 256 * 1024,
} as const;

/** Requests and usage counted from a real run. */
export interface UsageCounts {
  messages: number;
  /** S3 requests by SDK command name (PutObjectCommand, GetObjectCommand, ...). */
  s3: Record<string, number>;
  putEventsCalls: number;
  /** EventBridge billing units: each entry counts once per started 64 KB. */
  eventChunks: number;
  secretsManagerCalls: number;
  invocations: number;
  /** Sum of the invocations' handler time, seconds. */
  lambdaSeconds: number;
  lambdaMemoryMb: number;
}

/** S3 commands billed at the PUT tier (PUT, COPY, POST, LIST) and the GET tier (GET, HEAD, the rest). */
const S3_PUT_TIER = new Set([
  'PutObjectCommand', 'CreateMultipartUploadCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand',
  'ListObjectsV2Command', 'CopyObjectCommand',
]);
/** DELETE and AbortMultipartUpload are free (S3 pricing: "DELETE and CANCEL requests are free"). */
const S3_FREE = new Set(['DeleteObjectCommand', 'AbortMultipartUploadCommand']);

/** Dollars per 1M messages, by line item, at PRICES. */
export interface CostPerMillion {
  s3Put: number;
  s3Get: number;
  eventBridge: number;
  lambdaCompute: number;
  lambdaRequests: number;
  secretsManager: number;
  total: number;
}

/** Turns counted usage into dollars per 1M messages. */
export function costPerMillion(u: UsageCounts): CostPerMillion {
  const per = 1_000_000 / Math.max(1, u.messages);
  let put = 0;
  let get = 0;
  for (const [command, n] of Object.entries(u.s3)) {
    if (S3_FREE.has(command)) continue;
    if (S3_PUT_TIER.has(command)) put += n;
    else get += n;
  }
  const s3Put = ((put * per) / 1000) * PRICES.s3PutPer1000;
  const s3Get = ((get * per) / 1000) * PRICES.s3GetPer1000;
  const eventBridge = ((u.eventChunks * per) / 1_000_000) * PRICES.eventBridgePerMillionEvents;
  const lambdaCompute = u.lambdaSeconds * per * (u.lambdaMemoryMb / 1024) * PRICES.lambdaArmPerGbSecond;
  const lambdaRequests = ((u.invocations * per) / 1_000_000) * PRICES.lambdaPerMillionRequests;
  const secretsManager = ((u.secretsManagerCalls * per) / 10_000) * PRICES.secretsManagerPer10000Calls;
  const total = s3Put + s3Get + eventBridge + lambdaCompute + lambdaRequests + secretsManager;
  return { s3Put, s3Get, eventBridge, lambdaCompute, lambdaRequests, secretsManager, total };
}

/** SES inbound receiving for the same mails: per mail plus per started 256 KB chunk, per 1M messages. */
export function sesCostPerMillion(messages: number, chunks: number): number {
  const per = 1_000_000 / Math.max(1, messages);
  return ((messages * per) / 1000) * PRICES.sesInboundPer1000Mails + ((chunks * per) / 1000) * PRICES.sesInboundPer1000Chunks;
}

/** Started chunks of `chunkBytes` a payload of `bytes` is billed as (at least one). */
export function chunksOf(bytes: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(bytes / chunkBytes));
}
