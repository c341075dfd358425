/**
 * The contract between the deployed stack (infra/) and the Lambda handler: environment
 * variable names, the schedule's input fields, the bundled configuration's path and the metric
 * names. One home for each name; infra and the handler both import it. No imports here: infra
 * loads this file at synth time and must not pull the handler's dependencies in.
 */

/** Environment variables the stack sets and the handler reads. */
export const HANDLER_ENV = {
  /** The configuration as a JSON string (wins over the file; prebuilt code only). */
  config: 'POP3_INGEST_CONFIG',
  /** Path of the configuration file inside the bundle. */
  configFile: 'POP3_INGEST_CONFIG_FILE',
  /** The bucket the stack resolved at deploy time; replaces storage.bucket. */
  bucket: 'POP3_INGEST_BUCKET',
  /** The event bus ARN (a name is accepted too); replaces events.busName. */
  eventBus: 'POP3_INGEST_EVENT_BUS',
  /** Mailboxes polled at once for `{ "mailboxId": "*" }`. */
  concurrency: 'POP3_INGEST_CONCURRENCY',
  /** Lambda's async maximum event age for this function, in seconds (retry decision). */
  maxEventAgeSeconds: 'POP3_INGEST_MAX_EVENT_AGE_S',
  /** Lambda's async retry attempts for this function, 0-2 (retry decision). */
  invokeRetryAttempts: 'POP3_INGEST_INVOKE_RETRIES',
} as const;

/** Lambda's async retry settings for this function, as the stack configured them (retry-age.ts decides with them). */
export interface AsyncRetrySettings {
  /** Lambda's maximum event age (seconds). */
  maxEventAgeSeconds: number;
  /** Lambda's async retry attempts (0-2). */
  retryAttempts: number;
}

/** Reads the stack's retry settings (the values of maxEventAgeSeconds and invokeRetryAttempts); undefined when not deployed by the stack. */
export function asyncRetrySettings(maxEventAge: string | undefined, retryAttempts: string | undefined): AsyncRetrySettings | undefined {
  const age = Number(maxEventAge);
  const attempts = Number(retryAttempts);
  if (maxEventAge === undefined || retryAttempts === undefined || !Number.isFinite(age) || !Number.isInteger(attempts)) return undefined;
  return { maxEventAgeSeconds: age, retryAttempts: attempts };
}

/** The file the stack writes at the root of the function bundle. */
export const BUNDLED_CONFIG_NAME = 'pop3-ingest.config.json';
/** Where the function finds it: Lambda unpacks the bundle into /var/task (LAMBDA_TASK_ROOT). */
export const BUNDLED_CONFIG_PATH = `/var/task/${BUNDLED_CONFIG_NAME}`;

/** Fields of the input each schedule sends. */
export const SCHEDULE_INPUT = {
  mailboxId: 'mailboxId',
  /** EventBridge Scheduler fills `<aws.scheduler.scheduled-time>` in: when the tick was due (ISO 8601). */
  scheduledTime: 'scheduledTime',
} as const;

/**
 * The handler's CloudWatch metrics (Powertools EMF). Powertools adds the `service` dimension to
 * every metric, so it is part of each metric's identity.
 */
export const METRICS = {
  namespace: 'Pop3Ingest',
  serviceDimension: 'service',
  mailboxDimension: 'mailbox',
  errorClassDimension: 'errorClass',
  responseCodeDimension: 'responseCode',
  messagesStored: 'MessagesStored',
  bytesStored: 'BytesStored',
  pollDuration: 'PollDuration',
  pollSucceeded: 'PollSucceeded',
  backlog: 'Backlog',
  /** Messages set aside in the seen-state (Message Failed): never deleted, waiting for --retry-failed. */
  messagesSetAside: 'MessagesSetAside',
  /** Fetch attempts that failed for one message in this poll (refused by the server, past a limit). */
  fetchFailures: 'FetchFailures',
  /**
   * Deletions due but not sent because the invocation's time ran short (stored and announced,
   * deleted by a later poll): a mailbox that defers every poll never drains.
   */
  deletionsDeferred: 'DeletionsDeferred',
  errors: 'Errors',
  errorsByResponseCode: 'ErrorsByResponseCode',
  /** A transient failure that was returned instead of thrown: no room left for Lambda's retry. */
  retryDeferred: 'RetryDeferred',
} as const;

/**
 * The `responseCode` values ErrorsByResponseCode may carry: the codes of RFC 2449 section 8
 * (IN-USE, LOGIN-DELAY) and RFC 3206 (SYS/TEMP, SYS/PERM, AUTH), and `other` for anything a
 * server invents, so a hostile server cannot mint new metrics (each one is billed).
 */
export const RESPONSE_CODE_VALUES = ['IN-USE', 'LOGIN-DELAY', 'SYS/TEMP', 'SYS/PERM', 'AUTH', 'other'] as const;

/** One of RESPONSE_CODE_VALUES. */
export type ResponseCodeValue = (typeof RESPONSE_CODE_VALUES)[number];
