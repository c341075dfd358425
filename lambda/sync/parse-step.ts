/**
 * The parse step: after a full message's raw bytes are stored, split it with lambda/parse into
 * message.json and attachments (mailboxes with `parse`), and say what the events carry.
 *
 * It never throws and never decides anything about the raw message: raw storage has already
 * succeeded, and its Message Stored event (hence deletion) goes ahead whatever parsing does.
 * A message that does not parse, or whose parsed objects cannot be stored, gets a Message Parse
 * Failed event beside Message Stored; the raw object stays. It is not re-parsed by a later poll:
 * the seen-state records the message as stored, and re-fetching it to parse again would cost a
 * RETR for a message that is safe. The event says `retryable` and where the raw object is; the
 * parsed keys are deterministic and create-once, so a later re-parse lands on the same objects.
 *
 * Where the bytes come from: a body small enough to be buffered is parsed from that buffer; a
 * streamed one is read back from the store (ParsedObjectStore.readMessage), never held in memory.
 * Reading back rather than teeing the POP3 stream parses exactly what was stored, keeps parse
 * time out of the raw store's path, and writes nothing under a key whose raw put turned out to
 * be a conflict (a re-used UID's bytes under another message's prefix).
 */
import {
  EVENT_PARSE_LIMITS,
  ParseError,
  extractMessage,
  parseFailedFields,
  parsedSummary,
  type ParsedObject,
  type ParsedSummary,
} from '../parse/index.js';
import { classifyError } from '../shared/errors.js';
import { messageEvent, type MessageParseFailedDetail, type MessageStoredDetail } from './events.js';
import { eventId } from './keys.js';
import type { Logger, OutgoingEvent, ParsedObjectStore } from './ports.js';
import { boundText } from './summary.js';
import type { ParsePolicy } from './types.js';

/** Reason of a Message Parse Failed whose parsed objects could not be stored or the raw read back. */
export const PARSE_STORE_FAILED = 'PARSE_STORE_FAILED';

/** Why a stored message has no `parsed` summary. */
export interface ParseFailure {
  /** A PARSE_* code of lambda/parse, or PARSE_STORE_FAILED. */
  reason: string;
  explanation: string;
  /** True when another try could succeed (a store or disk failure, not the message's bytes). */
  retryable: boolean;
}

/** What parsing one message gave: the summary for Message Stored, or the failure. */
export type ParseOutcome = { parsed: ParsedSummary } | { failure: ParseFailure };

/** Parses stored full messages of one mailbox. */
export class ParseStep {
  constructor(
    private readonly policy: ParsePolicy,
    private readonly store: ParsedObjectStore,
    private readonly logger: Logger,
    private readonly warn: (text: string) => void,
  ) {}

  /**
   * Parses the message stored under `messageKey`, from `buffered` when the caller still holds its
   * bytes, else read back from the store. Never throws.
   */
  async run(messageKey: string, buffered?: () => AsyncIterable<Uint8Array>): Promise<ParseOutcome> {
    const conflicts: string[] = [];
    const sink = {
      put: async (object: ParsedObject) => {
        const result = await this.store.put(object);
        if (result.status === 'conflict') conflicts.push(object.role);
        return result;
      },
    };
    try {
      const body = buffered ? buffered() : this.store.readMessage(messageKey);
      const result = await extractMessage(body, {
        messageKey,
        attachments: this.policy.attachments,
        ...(this.policy.maxBodyChars === undefined ? {} : { limits: { maxBodyChars: this.policy.maxBodyChars } }),
      }, sink);
      if (conflicts.length > 0) {
        // Create-once kept an earlier parse's object (another maxBodyChars, another parser version).
        this.warn(`A parsed object (${[...new Set(conflicts)].join(', ')}) already existed with other content: the earlier one was kept`);
      }
      return { parsed: parsedSummary(result) };
    } catch (error) {
      return { failure: this.failureOf(error, messageKey) };
    }
  }

  private failureOf(error: unknown, messageKey: string): ParseFailure {
    if (error instanceof ParseError && !error.retryable) {
      const fields = parseFailedFields(error);
      return { reason: fields.reason, explanation: fields.explanation, retryable: false };
    }
    const { code, retryable } = classifyError(error);
    const what = error instanceof Error ? error.message : String(error);
    this.logger.warn('parsed objects could not be stored; the raw message is stored', { key: messageKey, code, retryable });
    this.warn(`A stored message could not be parsed (${code}): Message Parse Failed, retryable`);
    return {
      reason: error instanceof ParseError ? error.code : PARSE_STORE_FAILED,
      explanation: boundText(`${code}: ${what}`, EVENT_PARSE_LIMITS.maxExplanationChars - 3),
      // Whatever the store's error class says, the same bytes may parse on another try: only the
      // message's own faults (a permanent ParseError) are final.
      retryable: true,
    };
  }
}

/** The Message Parse Failed event beside a Message Stored detail; its id is stable like every other. */
export function parseFailedEvent(stored: MessageStoredDetail, failure: ParseFailure, epoch: number, generation: number, time?: Date): OutgoingEvent {
  const detail: MessageParseFailedDetail = {
    schemaVersion: stored.schemaVersion,
    mailboxId: stored.mailboxId,
    eventId: eventId(stored.mailboxId, stored.uidHash, 'parse-failed', epoch, generation),
    uidHash: stored.uidHash,
    firstSeen: stored.firstSeen,
    headers: stored.headers,
    truncated: stored.truncated,
    kind: 'parse-failed',
    reason: failure.reason,
    explanation: failure.explanation,
    retryable: failure.retryable,
    bucket: stored.bucket,
    key: stored.key,
    size: stored.size,
    sha256: stored.sha256,
    ...(stored.generation === undefined ? {} : { generation: stored.generation }),
  };
  return messageEvent(detail, time);
}
