/**
 * What parsing adds to events: the `parsed` field of "Message Stored" (summary plus attachment
 * list) bounded to fit one EventBridge entry, and the detail fields of "Message Parse Failed".
 * Pure and total: any ParsedMessage gives a summary within the budget; nothing here throws.
 */
import type { Address } from './addresses.js';
import { PARSE_ERROR_CODES, ParseError } from './errors.js';
import { EVENT_PARSE_LIMITS } from './limits.js';
import type { ExtractResult } from './types.js';

/** Detail-type of the event for a full message that was stored but does not parse. */
export const DETAIL_TYPE_MESSAGE_PARSE_FAILED = 'Message Parse Failed';

/** One attachment as the event lists it. */
export interface EventAttachment {
  name?: string;
  type: string;
  size: number;
  /** Absent when the mailbox lists attachments without storing them. */
  key?: string;
  sha256: string;
  disposition?: string;
  contentId?: string;
}

/** The `parsed` field of a "Message Stored" detail. */
export interface ParsedSummary {
  subject?: string;
  from: Address[];
  to: Address[];
  cc: Address[];
  replyTo: Address[];
  /** ISO-8601 UTC from the Date header, when it parses. */
  date?: string;
  messageId?: string;
  inReplyTo: string[];
  references: string[];
  /** Where message.json is (same bucket as the raw message). */
  messageJson: { key: string; size: number; sha256: string };
  hasText: boolean;
  hasHtml: boolean;
  /** Attachments in all, listed or not. */
  attachmentCount: number;
  attachments: EventAttachment[];
  defects: string[];
  /** True when a value or list was cut to fit; message.json has everything. */
  truncated: boolean;
}

/**
 * The `parsed` field for "Message Stored": at most `maxBytes` octets of JSON. Strings are cut
 * to EVENT_PARSE_LIMITS.maxStringChars; then attachments, references and addresses are dropped
 * from the end until it fits, with `truncated` set. Never fails.
 */
export function parsedSummary(result: ExtractResult, maxBytes: number = EVENT_PARSE_LIMITS.defaultParsedBytes): ParsedSummary {
  const { message } = result;
  const max = EVENT_PARSE_LIMITS.maxStringChars;
  let truncated = false;
  const cut = (s: string | undefined): string | undefined => {
    if (s === undefined || s.length <= max) return s;
    truncated = true;
    return s.slice(0, max);
  };
  const addresses = (list: readonly Address[]): Address[] =>
    list.map((a) => ({ name: cut(a.name) ?? '', address: cut(a.address) ?? '', ...(a.group !== undefined ? { group: cut(a.group) ?? '' } : {}) }));
  const summary: ParsedSummary = {
    ...optional('subject', cut(message.subject)),
    from: addresses(message.from),
    to: addresses(message.to),
    cc: addresses(message.cc),
    replyTo: addresses(message.replyTo),
    ...optional('date', message.date),
    ...optional('messageId', cut(message.messageId)),
    inReplyTo: message.inReplyTo.map((id) => cut(id) ?? ''),
    references: message.references.map((id) => cut(id) ?? ''),
    messageJson: result.messageJson,
    hasText: message.text !== undefined,
    hasHtml: message.html !== undefined,
    attachmentCount: message.attachments.length,
    attachments: message.attachments.map((a) => ({
      ...optional('name', cut(a.filename)),
      type: cut(a.contentType) ?? '',
      size: a.size,
      ...optional('key', a.key),
      sha256: a.sha256,
      ...optional('disposition', cut(a.disposition)),
      ...optional('contentId', cut(a.contentId)),
    })),
    defects: [...message.defects],
    truncated: false,
  };
  summary.truncated = truncated;
  return fit(summary, maxBytes);
}

/** Fields of a "Message Parse Failed" detail (added to the common per-message fields). */
export interface ParseFailedFields {
  kind: 'parse-failed';
  /** A PARSE_* code. */
  reason: string;
  /** Human-readable, bounded. */
  explanation: string;
}

/** The reason and explanation of a "Message Parse Failed" event for an error extractMessage threw. */
export function parseFailedFields(error: unknown): ParseFailedFields {
  const reason = error instanceof ParseError && error.code in PARSE_ERROR_CODES ? error.code : 'PARSE_MALFORMED';
  const raw = error instanceof Error ? error.message : String(error);
  const explanation = raw.replace(/[\x00-\x1f\x7f-\x9f]+/g, ' ').slice(0, EVENT_PARSE_LIMITS.maxExplanationChars);
  return { kind: 'parse-failed', reason, explanation };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function bytesOf(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Drops list entries from the end, largest lists first, until the JSON fits. */
function fit(summary: ParsedSummary, maxBytes: number): ParsedSummary {
  if (bytesOf(summary) <= maxBytes) return summary;
  const s: ParsedSummary = { ...summary, truncated: true };
  const lists: Array<keyof Pick<ParsedSummary, 'references' | 'cc' | 'to' | 'replyTo' | 'inReplyTo' | 'attachments' | 'from' | 'defects'>> = [
    'references', 'cc', 'to', 'replyTo', 'inReplyTo', 'attachments', 'from', 'defects',
  ];
  for (const name of lists) {
    const list = s[name] as unknown[];
    const record = s as unknown as Record<string, unknown>;
    record[name] = [];
    // JSON of an array is its entries joined by commas: the longest prefix that fits follows
    // from the entry sizes alone, so a 10,000-entry list costs one pass, not a stringify per try.
    let size = bytesOf(s);
    let kept = 0;
    for (const entry of list) {
      const next = size + bytesOf(entry) + (kept > 0 ? 1 : 0);
      if (next > maxBytes) break;
      size = next;
      kept++;
    }
    record[name] = list.slice(0, kept);
    if (kept === list.length && size <= maxBytes) return s;
  }
  if (bytesOf(s) <= maxBytes) return s;
  // Still too large (a tiny budget): the fixed fields alone, so the event is never refused.
  const minimal: ParsedSummary = {
    from: [], to: [], cc: [], replyTo: [], inReplyTo: [], references: [], attachments: [], defects: [],
    messageJson: s.messageJson, hasText: s.hasText, hasHtml: s.hasHtml, attachmentCount: s.attachmentCount, truncated: true,
  };
  return minimal;
}
